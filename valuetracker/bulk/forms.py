"""The bulk form of a list: the ticked rows (or all rows matching the list's filters),
the action (its button's value), the value it needs, and the confirmation step."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField

from ..forms import choices
from ..value.forms import int_or_none
from .core import clean_ids

ENTRY_SCOPES = {"concerning": "Unconfirmed entries they benefited from",
                "recent": "Every entry of the last 90 days"}


class BulkForm(FlaskForm):
    """One form per list page; the view drops the value fields its list does not use."""

    ids = SelectMultipleField("Selected", coerce=int_or_none, choices=[],
                              validate_choice=False)
    all_matching = BooleanField("All matching this filter")
    action = HiddenField()  # the pressed button's value (name="action")
    owner_id = SelectField("New owner", coerce=int_or_none, choices=[], validate_choice=True)
    entry_scope = RadioField("Entries to confirm", choices=choices(ENTRY_SCOPES),
                             default="concerning")
    confirmed = HiddenField()  # "1" on the confirmation step's button

    def chosen(self) -> list[int]:
        return clean_ids(self.ids.data or [])

    def keep_fields(self, names: set[str]) -> None:
        """Drop the value fields not in `names` (what the list's actions need)."""
        for name in ("owner_id", "entry_scope"):
            if name not in names:
                delattr(self, name)

    def value_of(self, name: str | None) -> tuple[Any, str]:
        """(the value the action needs, its label for the confirmation), or (None, "")."""
        if name is None:
            return None, ""
        field = getattr(self, name, None)
        if field is None or field.data in (None, ""):
            return None, ""
        shown = next((str(c.label) for c in field.choices if str(c.value) == str(field.data)),
                     str(field.data))
        return field.data, shown.lower() if name == "entry_scope" else shown
