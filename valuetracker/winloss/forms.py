"""Forms of the win/loss area, including the interview form built from a guide.

Each form's `data_dict()` is what the matching write function of `valuetracker.winloss`
takes; `show_error` puts that function's WinLossError on the form.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ..forms import LineField, MoneyField, choices, date_in_range
from ..models import (
    ANONYMITY,
    CLOSED_OUTCOMES,
    FACTOR_EFFECTS,
    INTERVIEW_CHANNELS,
    INTERVIEW_STATUSES,
    OUTCOMES,
    DecisionFactor,
    GuideQuestion,
    Stakeholder,
)
from .deals import split_names
from .errors import WinLossError
from .interviews import Recording, as_noon_utc, choice_list
from .taxonomy import factor_label

RATINGS = {str(i): str(i) for i in range(1, 6)}
QUOTE_SLOTS = 3


def factor_choices(factors: list[DecisionFactor], blank: str = "—") -> Any:
    return choices({str(f.id): factor_label(f) for f in factors}, blank=blank)


def optional_int(value: str | None) -> int | None:
    """An id or rating from a select with a blank choice ("" or whitespace -> None)."""
    if isinstance(value, int):
        return value
    text = (value or "").strip()
    return int(text) if text.isdigit() and text.isascii() else None


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def show_error(form: FlaskForm, error: WinLossError) -> None:
    """Show a refused change on the form: on its field, or above the form."""
    target = getattr(form, error.field).errors if error.field else form.form_errors
    target.extend(error.messages)


KEPT_OWNER = "kept"  # the owner select's value for a name kept from an import


class DealForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    account_id = SelectField("Account", default="")
    outcome = SelectField("Outcome", choices=choices(OUTCOMES))
    amount = MoneyField("Amount", validators=[Optional()])
    product = LineField("Product", validators=[Optional(), Length(max=120)])
    owner_id = SelectField("Owner", default="")
    opened_on = DateField("Opened on", validators=[Optional(), date_in_range])
    closed_on = DateField("Closed on", validators=[Optional(), date_in_range])
    competitors = LineField("Competitors", validators=[Optional(), Length(max=500)],
                              description="Names or aliases, separated by ';'.")
    primary_competitor = LineField("Primary competitor", validators=[Optional(),
                                                                       Length(max=120)])
    external_id = LineField("External id (CRM)", validators=[Optional(), Length(max=100)])
    # Optimistic locking: the deal's version when the form was opened (edits only).
    version = HiddenField()
    # The owner's name kept from a CRM import when no user matched (`Deal.owner_name`):
    # offered in the owner select as KEPT_OWNER, "<name> (not a user)".
    kept_owner: str | None = None

    def data_dict(self) -> dict[str, Any]:
        """The deal's fields (a close date only for a closed deal, or when given)."""
        keeps_name = self.owner_id.data == KEPT_OWNER and bool(self.kept_owner)
        return {
            "name": self.name.data.strip(), "account_id": optional_int(self.account_id.data),
            "outcome": self.outcome.data, "amount": self.amount.data,
            "product": _text(self.product.data),
            "owner_id": None if keeps_name else optional_int(self.owner_id.data),
            "owner_name": self.kept_owner if keeps_name else None,
            "opened_on": self.opened_on.data,
            "closed_on": self.closed_on.data
            if self.outcome.data != "open" or self.closed_on.data else None,
            "external_id": _text(self.external_id.data),
        }

    def competitor_names(self) -> tuple[list[str], str | None]:
        """The competitors named, and the primary one."""
        return split_names(self.competitors.data), _text(self.primary_competitor.data)

    def validate_closed_on(self, field: DateField) -> None:
        if field.data and self.opened_on.data and field.data < self.opened_on.data:
            raise ValidationError("The close date is before the open date.")
        if field.data and field.data > date.today().replace(year=date.today().year + 1):
            raise ValidationError("The close date is too far in the future.")


class DebriefForm(FlaskForm):
    outcome = SelectField("Outcome", choices=choices(CLOSED_OUTCOMES))
    closed_on = DateField("Closed on", validators=[DataRequired(), date_in_range])
    rep_reason_id = SelectField("Primary reason", validators=[DataRequired(
        message="Choose the main reason.")])
    rep_notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    version = HiddenField()  # optimistic locking

    def data_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.data, "closed_on": self.closed_on.data,
                "rep_reason_id": int(self.rep_reason_id.data),
                "rep_notes": _text(self.rep_notes.data)}


class SurveyLinkForm(FlaskForm):
    stakeholder_id = SelectField("Buyer", validators=[DataRequired()])


def _not_huge(form: FlaskForm, field: Any) -> None:
    """Stop before NumberRange: WTForms turns the int into a float there, and a 400-digit
    number overflows (500)."""
    if field.data is not None and abs(field.data) > 10**9:
        raise StopValidation("Number must be between 0 and 100000.")


class FactorForm(FlaskForm):
    category = LineField("Category", validators=[DataRequired(), Length(max=80)])
    name = LineField("Factor", validators=[DataRequired(), Length(max=120)])
    position = IntegerField("Position", default=100, validators=[
        Optional(), _not_huge, NumberRange(0, 100000)])
    active = BooleanField("Active", default=True)
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def data_dict(self) -> dict[str, Any]:
        return {"category": self.category.data.strip(), "name": self.name.data.strip(),
                "position": self.position.data, "active": self.active.data}


class GuideForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    outcome = SelectField("For outcome", choices=choices(
        {"any": "Any outcome", "won": "Won", "lost": "Lost", "no_decision": "No decision"}))
    active = BooleanField("Active", default=True)
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def data_dict(self) -> dict[str, Any]:
        return {"name": self.name.data.strip(), "outcome": self.outcome.data,
                "active": self.active.data}


class QuestionForm(FlaskForm):
    text = LineField("Question", validators=[DataRequired(), Length(max=500)])
    kind = SelectField("Kind", choices=choices(
        {"text": "Text", "rating": "Rating 1–5", "choice": "Choice"}))
    choices_text = LineField("Choices", validators=[Optional(), Length(max=1000)],
                               description="For a choice question: options separated by ';'.")
    factor_id = SelectField("Decision factor", default="")  # a blank choice: no Optional()
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def validate_choices_text(self, field: LineField) -> None:
        if self.kind.data == "choice" and len(
                [c for c in (field.data or "").split(";") if c.strip()]) < 2:
            raise ValidationError("A choice question needs at least two options.")

    def data_dict(self) -> dict[str, Any]:
        options = [c.strip() for c in (self.choices_text.data or "").split(";") if c.strip()]
        return {"text": self.text.data.strip(), "kind": self.kind.data,
                "choices": ";".join(options) if self.kind.data == "choice" else None,
                "factor_id": optional_int(self.factor_id.data)}


class ToggleForm(FlaskForm):
    """A bare POST button that switches one row on or off: the row's version and state
    ("active" or "paused") as the page showed them."""

    version = HiddenField()
    shown = HiddenField()


class RuleForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    outcome = SelectField("Outcome", choices=choices(CLOSED_OUTCOMES, blank="Any closed"),
                          default="")
    min_amount = MoneyField("Minimum amount", validators=[Optional()])
    competitor = LineField("Competitor", validators=[Optional(), Length(max=120)],
                             description="Name or alias of a known competitor.")
    segment = LineField("Segment", validators=[Optional(), Length(max=80)])

    def data_dict(self) -> dict[str, Any]:
        return {"name": self.name.data.strip(), "outcome": self.outcome.data or None,
                "min_amount": self.min_amount.data, "competitor": _text(self.competitor.data),
                "segment": _text(self.segment.data)}


class QuoteFilterForm(FlaskForm):
    class Meta:
        csrf = False


def _question_field(question: GuideQuestion, *, required: bool = False) -> Any:
    validators = [DataRequired()] if required else [Optional()]
    if question.kind == "rating":
        # No Optional(): it would drop the "Not a valid choice" error of a blank " ".
        return SelectField(question.text, choices=choices(RATINGS, blank="—"), default="",
                           description="1 = poor, 5 = excellent")
    if question.kind == "choice":
        return SelectField(question.text, choices=choices(choice_list(question), blank="—"),
                           default="")
    return TextAreaField(question.text, validators=[*validators, Length(max=5000)])


def interview_form_class(
    questions: list[GuideQuestion],
    factors: list[DecisionFactor],
    stakeholders: list[Stakeholder],
    quote_slots: int = QUOTE_SLOTS,
) -> type[FlaskForm]:
    """A form class for recording one interview: fixed fields, then one field per guide
    question, three per decision factor and a few quote slots."""

    class InterviewForm(FlaskForm):
        stakeholder_id = SelectField("Interviewee", choices=choices(
            {str(s.id): f"{s.name}" + (f", {s.title}" if s.title else "")
             for s in stakeholders}, blank="Outside contact (below)"), default="")
        contact_name = LineField("Outside contact name", validators=[Optional(),
                                                                       Length(max=200)])
        contact_title = LineField("Outside contact title", validators=[Optional(),
                                                                         Length(max=200)])
        anonymity = SelectField("Anonymity", choices=choices(ANONYMITY))
        status = SelectField("Status", choices=choices(INTERVIEW_STATUSES))
        channel = SelectField("Channel", choices=choices(INTERVIEW_CHANNELS, blank="—"), default="")
        scheduled_for = DateField("Scheduled for", validators=[Optional(), date_in_range])
        completed_on = DateField("Completed on", validators=[Optional(), date_in_range])
        primary_reason_id = SelectField("Primary reason", choices=factor_choices(factors),
                                        default="")
        notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])
        version = HiddenField()  # optimistic locking: the version the form was loaded at

        def data_dict(self) -> dict[str, Any]:
            """The interview's fields (`interviews.INTERVIEW_FIELDS`)."""
            return {
                "stakeholder_id": optional_int(self.stakeholder_id.data),
                "contact_name": _text(self.contact_name.data),
                "contact_title": _text(self.contact_title.data),
                "anonymity": self.anonymity.data, "status": self.status.data,
                "channel": self.channel.data or None,
                "scheduled_for": as_noon_utc(self.scheduled_for.data),
                "completed_at": as_noon_utc(self.completed_on.data),
                "primary_reason_id": optional_int(self.primary_reason_id.data),
                "notes": _text(self.notes.data),
            }

    for question in questions:
        setattr(InterviewForm, f"q_{question.id}", _question_field(question))
    for factor in factors:
        setattr(InterviewForm, f"r_{factor.id}", SelectField(
            f"{factor.name} rating", choices=choices(RATINGS, blank="—"), default=""))
        setattr(InterviewForm, f"i_{factor.id}", SelectField(
            f"{factor.name} importance", choices=choices(RATINGS, blank="—"), default=""))
        setattr(InterviewForm, f"e_{factor.id}", SelectField(
            f"{factor.name} effect", choices=choices(FACTOR_EFFECTS), default="neutral"))
    for n in range(1, quote_slots + 1):
        setattr(InterviewForm, f"quote_text_{n}", TextAreaField(
            f"Quote {n}", validators=[Optional(), Length(max=5000)]))
        setattr(InterviewForm, f"quote_tags_{n}", LineField(
            f"Quote {n} tags", validators=[Optional(), Length(max=500)]))
        setattr(InterviewForm, f"quote_factor_{n}", SelectField(
            f"Quote {n} factor", choices=factor_choices(factors), default=""))
    return InterviewForm


def recording_from_form(form: Any, questions: list[GuideQuestion],
                        factors: list[DecisionFactor], quote_slots: int) -> Recording:
    """The answers, ratings and quotes a validated interview form carries."""
    recording = Recording()
    for question in questions:
        value = form[f"q_{question.id}"].data
        if question.kind == "rating":
            value = optional_int(value)
        recording.answers[question.id] = value
    for factor in factors:
        recording.ratings[factor.id] = (
            optional_int(form[f"r_{factor.id}"].data),
            optional_int(form[f"i_{factor.id}"].data),
            form[f"e_{factor.id}"].data or "neutral",
        )
    for n in range(1, quote_slots + 1):
        text = form[f"quote_text_{n}"].data or ""
        if text.strip():
            recording.quotes.append((text, form[f"quote_tags_{n}"].data,
                                     optional_int(form[f"quote_factor_{n}"].data)))
    return recording


def survey_recording(form: Any, questions: list[GuideQuestion]) -> Recording:
    """The answers of a validated buyer survey; a rating question tied to a factor is
    also the buyer's rating of that factor."""
    recording = recording_from_form(form, questions, [], 0)
    for question in questions:
        value = recording.answers.get(question.id)
        if question.kind == "rating" and question.factor_id and value is not None:
            recording.ratings[question.factor_id] = (value, None, "neutral")
    return recording


def survey_form_class(questions: list[GuideQuestion], factors: list[DecisionFactor]
                      ) -> type[FlaskForm]:
    """The buyer survey: the guide's questions, the main reason, consent to be named."""

    class SurveyForm(FlaskForm):
        # Buyers see plain factor names, not our internal categories.
        primary_reason_id = SelectField("What was the main reason for your decision?",
                                        choices=choices({str(f.id): f.name for f in factors},
                                                        blank="—"), default="")
        comment = TextAreaField("Anything else you would like to tell us?",
                                validators=[Optional(), Length(max=5000)])
        named = BooleanField("You may quote me by name (otherwise we keep your answers "
                             "anonymous).")

    for question in questions:
        setattr(SurveyForm, f"q_{question.id}", _question_field(question))
    return SurveyForm
