"""The demo tells a health story: most active accounts healthy, a few in watch or at risk
for reasons one can read, with a weekly trend; `seed-demo` ends with a refresh."""

from __future__ import annotations

from collections import Counter
from typing import Any

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
