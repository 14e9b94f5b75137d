"""The win/loss demo data: realistic, complete, and safe to run twice."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from valuetracker.demo import winloss as demo
from valuetracker.models import Deal, FactorRating, InterviewQuote, WinLossInterview
from valuetracker.winloss import factor_impact, win_rates_by_segment


def test_demo_seeds_deals_interviews_and_figures(session: Any, cast: Any) -> None:
    made: dict[str, Any] = {}
    demo.seed(session, made)
    session.commit()
    assert made["winloss"]["deals"] == 150
    count = session.exec(select(sa.func.count()).select_from(Deal)).one()
    demo.seed(session, {})  # a second run adds nothing
    session.commit()
    assert session.exec(select(sa.func.count()).select_from(Deal)).one() == count == 150
    assert session.exec(select(WinLossInterview).where(
        WinLossInterview.status == "completed")).first() is not None
    assert session.exec(select(FactorRating)).first() is not None
    assert session.exec(select(InterviewQuote)).first() is not None
    assert sum(r.closed for r in win_rates_by_segment(session)) > 100
    assert any(r.impact is not None for r in factor_impact(session))
