"""The demo tells a health story: most active accounts healthy, a few in watch or at risk
for reasons one can read, with a weekly trend; `seed-demo` ends with a refresh."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlmodel import select

from valuetracker.models import HealthSnapshot, Signal
from valuetracker.signals import accounts_health


def test_seed_demo_ends_with_signals_and_most_accounts_healthy(runner: Any,
                                                                 session: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    health = accounts_health(session)
    bands = Counter(h.band for h in health)
    assert bands["healthy"] > len(health) / 2
    assert bands["watch"] >= 1 and bands["at risk"] >= 2
    blue = next(h for h in health if h.name == "Blue Yonder Retail")
    kinds = {o.signal.kind for o in blue.signals}
    assert {"key_detractor", "renewal_at_risk", "value_disputed"} <= kinds
    every = set(session.exec(select(Signal.kind)).all())
    assert len(every) >= 8  # many kinds of signal have something to show
    weeks = session.exec(select(HealthSnapshot.week).where(
        HealthSnapshot.account_id == blue.account_id)).all()
    assert len(weeks) == 6


@pytest.mark.parametrize("day", ["2027-01-12", "2027-05-20", "2027-09-03"])
def test_the_demo_tells_the_same_story_whatever_the_day(runner: Any, session: Any,
                                                        day: str) -> None:
    """The demo is built around today: its story holds on any day it is seeded (early in a
    fiscal year, mid-quarter, late), not only on the day it was written."""
    with time_machine.travel(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC),
                             tick=True):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        health = accounts_health(session)
    bands = Counter(h.band for h in health)
    assert bands["healthy"] > len(health) / 2 and bands["at risk"] >= 2, bands
    at_risk = {h.name for h in health if h.band == "at risk"}
    assert {"Blue Yonder Retail", "Fabrikam Manufacturing"} <= at_risk
