"""Demo data for `valuetracker seed-demo`: each area seeds its own part, in order."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from . import activities, core, notifications, signals, summaries, tasks, value, winloss


def seed_demo(session: Session) -> dict[str, Any]:
    """Fill an empty database with a realistic demo installation; returns what was made."""
    made: dict[str, Any] = {}
    # Signals after everything they are computed from (the refresh runs the plays), then
    # the tasks the team added by hand; notifications last (they tell of all).
    for area in (core, value, winloss, summaries, activities, signals, tasks, notifications):
        area.seed(session, made)
    return made
