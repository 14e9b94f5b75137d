"""Demo data for `valuetracker seed-demo`: each area seeds its own part, in order."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from . import activities, core, notifications, signals, summaries, value, winloss


def seed_demo(session: Session) -> dict[str, Any]:
    """Fill an empty database with a realistic demo installation; returns what was made."""
    made: dict[str, Any] = {}
    # Signals after the areas they are computed from; notifications last (they tell of all).
    for area in (core, value, winloss, summaries, activities, signals, notifications):
        area.seed(session, made)
    return made
