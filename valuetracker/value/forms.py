"""Forms of the value area (team pages and the stakeholder-facing link pages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..forms import LineField, MoneyField, choices, date_in_range
from ..models import (
    COMMITMENT_STATUSES,
    DRIVERS,
    EVIDENCE_STATUSES,
    REPURCHASE_INTENTS,
    UNITS,
)
from .outreach import MIN_RANKED_DRIVERS  # the top three are required, the rest optional

# Amounts are MoneyFields: their range (0 to 10**13, Numeric(16, 2)) is validation's.


def int_or_none(value: Any) -> int | None:
    """Coerce for int selects that have a blank choice ("" -> None, not a crash)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class EntryForm(FlaskForm):
    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    driver = SelectField("Value driver", choices=choices(DRIVERS))
    amount = MoneyField("Amount", validators=[
        InputRequired(message="Enter the amount, e.g. 12500 or 12.5.")])
    unit = SelectField("Unit", choices=choices(UNITS))
    delivered_on = DateField("Delivered on", validators=[InputRequired(
        message="Enter the date it was delivered (YYYY-MM-DD)."), date_in_range])
    evidence_status = SelectField("Evidence", choices=choices(EVIDENCE_STATUSES))
    source = LineField("Source", validators=[Optional(), Length(max=200)],
                         description="Where the figure comes from (report, call, customer).")
    version = HiddenField()  # optimistic locking: the version the form was loaded at
    beneficiaries = SelectMultipleField("Beneficiaries", coerce=int_or_none, choices=[],
                                        validate_choice=True)

    def validate_delivered_on(self, field: DateField) -> None:
        if field.data and field.data.year < 1990:
            raise ValidationError("That date is too far in the past.")

    def data_dict(self) -> dict[str, Any]:
        return {
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip() or None,
            "driver": self.driver.data, "amount": self.amount.data, "unit": self.unit.data,
            "delivered_on": self.delivered_on.data,
            "evidence_status": self.evidence_status.data,
            "source": (self.source.data or "").strip() or None,
        }


class DescribedReviewForm(FlaskForm):
    """The team's review of value a customer described: put a figure on it. One per
    described entry on the value page, each with its own prefix (`described-<id>`)."""

    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    driver = SelectField("Value driver", choices=choices(DRIVERS, blank="Choose…"),
                         validators=[DataRequired(message="Choose the value driver.")])
    amount = MoneyField("Amount", validators=[
        InputRequired(message="Enter the amount, e.g. 12500 or 12.5.")])
    unit = SelectField("Unit", choices=choices(UNITS))
    delivered_on = DateField("Delivered on", validators=[InputRequired(
        message="Enter the date it was delivered (YYYY-MM-DD)."), date_in_range])
    version = HiddenField()  # optimistic locking: the version the page was loaded at

    def data_dict(self) -> dict[str, Any]:
        return {"title": self.title.data.strip(), "driver": self.driver.data,
                "amount": self.amount.data, "unit": self.unit.data,
                "delivered_on": self.delivered_on.data}


class CommitmentForm(FlaskForm):
    title = LineField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    driver = SelectField("Value driver", choices=choices(DRIVERS))
    expected_amount = MoneyField("Expected amount", validators=[Optional()])
    unit = SelectField("Unit", choices=choices(UNITS))
    due_on = DateField("Due on", validators=[InputRequired(message="Enter the due date."),
                                             date_in_range])
    status = SelectField("Status", choices=choices(COMMITMENT_STATUSES))
    delivered_by = SelectField("Delivered by (value entry)", coerce=int_or_none, choices=[],
                               description="Marking it delivered needs the entry that did it.")
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def validate_delivered_by(self, field: SelectField) -> None:
        if self.status.data == "delivered" and not field.data:
            raise ValidationError("Choose the value entry that delivered this commitment.")

    def data_dict(self) -> dict[str, Any]:
        return {
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip() or None,
            "driver": self.driver.data, "expected_amount": self.expected_amount.data,
            "unit": self.unit.data, "due_on": self.due_on.data, "status": self.status.data,
        }


def _require_adjusted_amount(form: Any, valid: bool, message: str) -> bool:
    """An "adjusted" answer needs the amount (checked after the field validators)."""
    if form.response.data == "adjusted" and form.adjusted_amount.data is None:
        if not form.adjusted_amount.errors:
            form.adjusted_amount.errors = [*form.adjusted_amount.errors, message]
        return False
    return valid


class SendLinkForm(FlaskForm):
    stakeholder_id = SelectField("Stakeholder", coerce=int_or_none, choices=[],
                                 validators=[DataRequired(message="Choose a stakeholder.")])
    purpose = RadioField("Ask for", choices=choices({
        "confirm_value": "Confirmation of value delivered",
        "pulse": "Loyalty pulse",
    }), default="confirm_value")
    scope = RadioField("Entries", choices=choices({
        "concerning": "Unconfirmed entries they benefited from",
        "recent": "Every entry of the last 90 days",
    }), default="concerning")


class RecordConfirmationForm(FlaskForm):
    stakeholder_id = SelectField("Who answered", coerce=int_or_none, choices=[],
                                 validators=[DataRequired(message="Choose who answered.")])
    response = SelectField("Answer", choices=choices({
        "confirmed": "Confirmed", "adjusted": "Confirmed with a corrected amount",
        "disputed": "Disputed"}))
    adjusted_amount = MoneyField("Corrected amount", validators=[Optional()])
    comment = TextAreaField("In their words", validators=[Optional(), Length(max=5000)])

    def validate(self, extra_validators: Any = None) -> bool:
        # Not validate_adjusted_amount: Optional() would stop the chain before it runs.
        return _require_adjusted_amount(self, super().validate(extra_validators),
                                        "Enter the amount they gave.")


RANK_LABELS = ("Most important", "Second", "Third", "Fourth", "Fifth", "Sixth")


def rank_label(position: int) -> str:
    """The label of the select for rank `position` (1-based)."""
    text = RANK_LABELS[position - 1]
    return text if position <= MIN_RANKED_DRIVERS else f"{text} (optional)"


def recommend_label(score: int) -> str:
    """A 0–10 button's accessible name: the scale's ends say what they mean."""
    return {0: "0 — not at all likely", 10: "10 — extremely likely"}.get(score, str(score))


def _rank_field(position: int) -> SelectField:
    required = [DataRequired(message="Choose your top three value drivers.")]
    return SelectField(rank_label(position),
                       validators=required if position <= MIN_RANKED_DRIVERS else [Optional()])


class PulseForm(FlaskForm):
    """A loyalty pulse. The 0–10 and 1–5 answers are radio buttons drawn as a row of
    buttons; the value drivers are ranked with select fields (no script needed), the top
    three required and the rest optional."""

    satisfaction = RadioField("How satisfied are you with us overall? (1 = very dissatisfied, "
                              "5 = very satisfied)", coerce=int_or_none,
                              choices=choices({str(i): str(i) for i in range(1, 6)}),
                              invalid_choice_message="Choose 1 to 5.")
    repurchase_intent = SelectField("Would you buy from us again?",
                                    choices=choices(REPURCHASE_INTENTS, blank="Choose…"),
                                    validators=[DataRequired(message="Choose an answer.")])
    # No InputRequired: the radio's own choice check answers a missing score (0 is valid).
    recommend = RadioField("How likely are you to recommend us to a colleague?",
                           coerce=int_or_none,
                           choices=choices({str(i): recommend_label(i) for i in range(0, 11)}),
                           invalid_choice_message="Choose 0 to 10.")
    positive_emotion = BooleanField("Something we did made me feel genuinely looked after")
    emotion_text = TextAreaField("What was it?", validators=[Optional(), Length(max=2000)])
    rank_1 = _rank_field(1)
    rank_2 = _rank_field(2)
    rank_3 = _rank_field(3)
    rank_4 = _rank_field(4)
    rank_5 = _rank_field(5)
    rank_6 = _rank_field(6)
    comment = TextAreaField("Anything else?", validators=[Optional(), Length(max=5000)])

    RANK_FIELDS = ("rank_1", "rank_2", "rank_3", "rank_4", "rank_5", "rank_6")
    REQUIRED_RANK_FIELDS = RANK_FIELDS[:MIN_RANKED_DRIVERS]
    OPTIONAL_RANK_FIELDS = RANK_FIELDS[MIN_RANKED_DRIVERS:]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.RANK_FIELDS:
            self[name].choices = choices(DRIVERS, blank="Choose…")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # A driver chosen twice: the error sits on the later place, the first one stands.
        seen: set[str] = set()
        for name in self.RANK_FIELDS:
            driver = self[name].data
            if driver and driver in seen:
                self[name].errors = [*self[name].errors,
                                     "Each value driver can take only one place."]
                valid = False
            seen.add(driver)
        return valid

    def ranking(self) -> list[str]:
        """The drivers chosen, most important first (places left empty are skipped)."""
        return [self[name].data for name in self.RANK_FIELDS if self[name].data]

    def data_dict(self) -> dict[str, Any]:
        return {
            "satisfaction": int(self.satisfaction.data),
            "repurchase_intent": self.repurchase_intent.data,
            "recommend": int(self.recommend.data),
            "positive_emotion": bool(self.positive_emotion.data),
            "emotion_text": (self.emotion_text.data or "").strip() or None,
            "driver_ranking": self.ranking(),
            "comment": (self.comment.data or "").strip() or None,
        }


class RecordPulseForm(PulseForm):
    stakeholder_id = SelectField("Stakeholder", coerce=int_or_none, choices=[],
                                 validators=[DataRequired(message="Choose a stakeholder.")])
    taken_on = DateField("Taken on", default=date.today,
                         validators=[InputRequired(message="Enter the date of the call."),
                                     date_in_range])


class AnswerForm(Form):
    """One entry's answer on the confirmation page (a sub-form, no CSRF of its own)."""

    entry_id = HiddenField()
    response = RadioField("Your answer", choices=choices({
        "confirmed": "Yes, that is right", "adjusted": "Yes, but the amount was different",
        "disputed": "No, I do not agree", "": "Skip"}), default="", validate_choice=True)
    adjusted_amount = MoneyField("The right amount", validators=[Optional()])
    comment = TextAreaField("In your own words", validators=[Optional(), Length(max=5000)])

    def validate(self, extra_validators: Any = None) -> bool:
        return _require_adjusted_amount(self, super().validate(extra_validators),
                                        "Enter the amount you would put on it.")


class ConfirmValueForm(FlaskForm):
    answers = FieldList(FormField(AnswerForm))
    other_value = TextAreaField("Did we deliver value we did not list? Tell us in your words.",
                                validators=[Optional(), Length(max=5000)])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        answered = any(item.form.response.data for item in self.answers)
        if not answered and not (self.other_value.data or "").strip():
            self.other_value.errors = [
                *self.other_value.errors,
                "Answer at least one item, or tell us about other value.",
            ]
            return False
        return valid


__all__ = ["EntryForm", "DescribedReviewForm", "CommitmentForm", "SendLinkForm",
           "RecordConfirmationForm", "PulseForm", "RecordPulseForm", "AnswerForm",
           "ConfirmValueForm", "int_or_none"]
