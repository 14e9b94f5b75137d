"""The preferences form: one checkbox per event and channel on offer, and the digest's
frequency. Built per request from `rules.CHANNELS_OF`, so a new event appears on the
page without a change here."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from ..forms import choices
from ..models import DIGEST_FREQUENCIES
from .rules import CHANNELS_OF


def field_name(event: str, channel: str) -> str:
    """"value.disputed", "email" -> "value_disputed__email"."""
    return f"{event.replace('.', '_')}__{channel}"


class _PreferencesBase(FlaskForm):
    digest_frequency = SelectField("Digest mail", choices=choices(DIGEST_FREQUENCIES))

    def wanted(self) -> dict[tuple[str, str], bool]:
        """(event, channel) -> on, as submitted."""
        return {(event, channel): bool(self[field_name(event, channel)].data)
                for event, channels in CHANNELS_OF.items() for channel in channels}


def preferences_form(current: dict[tuple[str, str], bool], frequency: str,
                     **kwargs: Any) -> _PreferencesBase:
    """The form, pre-filled from the user's current choices."""
    fields = {field_name(event, channel): BooleanField(default=current[(event, channel)])
              for event, channels in CHANNELS_OF.items() for channel in channels}
    form_class = type("PreferencesForm", (_PreferencesBase,), fields)
    form = form_class(**kwargs)
    if not form.is_submitted():
        form.digest_frequency.data = frequency
    return form
