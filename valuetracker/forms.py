"""Form helpers shared by every area: choices, the bare CSRF form, common fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .models import label
from .validation import SINGLE_LINE_MESSAGE, check_date, has_line_break, parse_money


class EmptyForm(FlaskForm):
    """Carries the CSRF token for bare POST buttons (archive, delete, send...)."""


class MoneyField(DecimalField):
    """An amount for a Numeric(16, 2) column (`validation.parse_money`): NaN, sNaN,
    Infinity, 1e309, negative or too long amounts are a field error, never a 500.

    Blank input is no amount (None): add Optional() or InputRequired() as usual.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = valuelist[0] if isinstance(valuelist[0], str) else str(valuelist[0])
        self.data = None
        if not text.strip():
            if not self.flags.optional:
                raise ValueError("Enter an amount, e.g. 12500 or 12.50.")
            return
        self.data = parse_money(text)  # ValueError: shown on the field, data stays None


class LineField(StringField):
    """A one-line text input: a line break is refused, so typed text can never reach
    a mail header (subject, To, Reply-To) or split a CSV row."""

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, str) and has_line_break(self.data):
            raise ValidationError(SINGLE_LINE_MESSAGE)


def date_in_range(form: Any, field: DateField) -> None:
    """Validator: a date in the years the app accepts (`validation.check_date`), the
    same rule the imports apply."""
    if field.data is not None:
        try:
            check_date(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def choices(
    values: Iterable[str] | Mapping[str, str], *, blank: str | None = None
) -> list[SelectChoice]:
    """SelectField choices from values (labelled "Economic buyer") or a value->label map.

    `blank` adds a first empty choice with that label (for optional selects and filters).
    """
    items = values.items() if isinstance(values, Mapping) else ((v, label(v)) for v in values)
    result = [SelectChoice(str(value), text) for value, text in items]
    if blank is not None:
        result.insert(0, SelectChoice("", blank))
    return result


def stakeholder_choices(people: Iterable[Any], *, blank: str | None = None
                        ) -> list[SelectChoice]:
    """SelectField choices of stakeholders by id, labelled "Name · Title"."""
    return choices({str(p.id): p.name + (f" · {p.title}" if p.title else "") for p in people},
                   blank=blank)


def clean_form_data(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Only `fields` present in `data`; text trimmed, empty text turned into None."""
    clean: dict[str, Any] = {}
    for key in fields:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, str):
            value = value.strip() or None
        clean[key] = value
    return clean
