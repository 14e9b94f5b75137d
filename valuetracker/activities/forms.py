"""The "Log activity" form (also the edit form)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import choices, date_in_range
from ..models import ACTIVITY_KINDS
from ..value.forms import int_or_none
from .log import TEXT_MAX


class ActivityForm(FlaskForm):
    """Type, date, with whom, summary, outcome. The rules beyond a field's type (not in
    the future, a call needs someone, people of this account) are `log.py`'s, shown
    on the field they concern (`show_error`)."""

    kind = SelectField("Type", choices=choices(ACTIVITY_KINDS), default="call")
    occurred_on = DateField("Date", default=date.today, validators=[
        InputRequired(message="Enter the date it happened (YYYY-MM-DD)."), date_in_range])
    stakeholder_ids = SelectMultipleField(
        "With whom", coerce=int_or_none, choices=[], validate_choice=True,
        render_kw={"size": 6},
        description="The account's people it was with. Hold Ctrl (⌘ on a Mac) to choose "
                    "several.")
    summary = TextAreaField("Summary", validators=[
        DataRequired(message="Say what it was about."), Length(max=TEXT_MAX)])
    outcome = TextAreaField("Outcome", validators=[Optional(), Length(max=TEXT_MAX)],
                            description="What was agreed, the next steps.")
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def data_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.data, "occurred_on": self.occurred_on.data,
                "summary": self.summary.data, "outcome": self.outcome.data}

    def people(self) -> list[int]:
        return [i for i in (self.stakeholder_ids.data or []) if i is not None]


def show_error(form: ActivityForm, error: Exception) -> None:
    """Show an `ActivityError` on the field it names (above the form if none matches)."""
    field = getattr(form, getattr(error, "field", "") or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))
