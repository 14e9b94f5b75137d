"""The value demo data: every figure has something to show."""

from __future__ import annotations

from typing import Any

from valuetracker import value
from valuetracker.demo import value as demo_value

from .factories import make_stakeholder


def test_demo_seeds_value_for_every_active_account(session: Any, cast: Any) -> None:
    for name in ("Fay", "Gus", "Hal"):
        make_stakeholder(session, cast.account1, name, is_key=True)
    session.commit()
    made: dict[str, Any] = {}  # keys from demo/core.py missing: falls back to the tables
    demo_value.seed(session, made)
    session.commit()
    counts = made["value"]
    assert counts["entries"] > 20 and counts["pulses"] > 0
    assert counts["commitments"] == 12 and counts["confirmations"] > 0
    assert value.value_delivered(session) > 0
    assert value.confirmed_share(session).share is not None
    assert value.on_time_rate(session).due >= 6
    assert value.loyalty(session).respondents >= 4
