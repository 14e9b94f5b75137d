"""The task forms: new and edit, comment, dismiss, and the list's bulk actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import LineField, choices, date_in_range
from ..value.forms import int_or_none
from .writes import TEXT_MAX, TITLE_MAX


class TaskForm(FlaskForm):
    """Title, who it is about, who does it, when. The account is chosen on the task list's
    "New task" (`account_id`, a select); from an account page it is that account."""

    account_id = SelectField("Account", coerce=int_or_none, choices=[], validate_choice=True)
    title = LineField("Task", validators=[DataRequired(message="Say what is to be done."),
                                          Length(max=TITLE_MAX)])
    stakeholder_id = SelectField("About", coerce=int_or_none, choices=[],
                                 validate_choice=True,
                                 description="The person at the account it concerns, if any.")
    assignee_id = SelectField("Assigned to", coerce=int_or_none, choices=[],
                              validate_choice=True)
    due_on = DateField("Due", validators=[Optional(), date_in_range])
    version = HiddenField()  # optimistic locking: the version the form was loaded at

    def data_dict(self) -> dict[str, Any]:
        return {"title": self.title.data, "stakeholder_id": self.stakeholder_id.data,
                "assignee_id": self.assignee_id.data, "due_on": self.due_on.data}


class CommentForm(FlaskForm):
    text = TextAreaField("Comment", validators=[DataRequired(message="Write a comment."),
                                                Length(max=TEXT_MAX)], render_kw={"rows": 3})


class StatusForm(FlaskForm):
    """Done, or reopen: the version the page showed, so a change since is noticed."""

    version = HiddenField()


class DismissForm(FlaskForm):
    reason = LineField("Why dismiss it?", validators=[
        DataRequired(message="Say why the task is dismissed."), Length(max=TEXT_MAX)])
    version = HiddenField()


class BulkForm(FlaskForm):
    """The task list's selection (checkboxes) and what to do with it: one submit button
    per action, with the value it needs."""

    task_ids = SelectMultipleField("Tasks", coerce=int_or_none, choices=[],
                                   validate_choice=False)
    assignee_id = SelectField("Reassign to", coerce=int_or_none, choices=[],
                              validate_choice=True)
    due_on = DateField("New due date", validators=[Optional(), date_in_range])
    reassign = SubmitField("Reassign")
    complete = SubmitField("Mark done")
    set_due = SubmitField("Change due date")
    back = HiddenField()  # the list's query string, to return to the same filters

    def chosen(self) -> list[int]:
        return sorted({i for i in (self.task_ids.data or []) if i is not None})


class TaskFilterForm(Form):
    """The list's GET filters; unknown values are ignored rather than refused."""

    assignee = SelectField("Assignee")
    account = StringField("Account", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", choices=choices(
        {"open": "Open", "done": "Done", "dismissed": "Dismissed", "all": "All"}))


class AssigneeFilterForm(Form):
    """My work's filter for leaders: whose work."""

    assignee = SelectField("Whose work")


def set_choices(field: Any, options: list[tuple[int, str]], *, blank: str | None) -> None:
    """An int select's choices from (id, name) pairs."""
    field.choices = choices({str(i): name for i, name in options}, blank=blank)


__all__ = ["AssigneeFilterForm", "BulkForm", "CommentForm", "DismissForm",
           "StatusForm", "TaskFilterForm", "TaskForm", "set_choices"]
