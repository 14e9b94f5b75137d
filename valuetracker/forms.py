"""Form helpers shared by every area: choices, the bare CSRF form, common fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from .models import label


class EmptyForm(FlaskForm):
    """Carries the CSRF token for bare POST buttons (archive, delete, send...)."""


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
