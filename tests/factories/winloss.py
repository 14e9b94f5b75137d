"""Win/loss rows: factors, competitors, deals, interviews, ratings, quotes, guides (the
caller commits)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import (
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    DecisionFactor,
    FactorRating,
    GuideQuestion,
    InterviewGuide,
    InterviewQuote,
    Stakeholder,
    WinLossInterview,
)

_counter = itertools.count(1)


def make_factor(session: Session, name: str, category: str = "Product", **kw: Any
                ) -> DecisionFactor:
    factor = DecisionFactor(category=category, name=name, **kw)
    session.add(factor)
    session.flush()
    return factor


def make_competitor(session: Session, name: str, aliases: str | None = None) -> Competitor:
    competitor = Competitor(name=name, aliases=aliases)
    session.add(competitor)
    session.flush()
    return competitor


def make_deal(session: Session, account: Account | None = None, outcome: str = "won",
              closed_on: date | None = date(2026, 5, 15),
              competitors: tuple[Competitor, ...] = (), **kw: Any) -> Deal:
    """A deal (named "Deal <n>", 10 000 unless told); the first competitor is the primary
    one. An open deal has no close date."""
    n = next(_counter)
    kw.setdefault("name", f"Deal {n}")
    kw.setdefault("amount", Decimal("10000"))
    deal = Deal(account_id=account.id if account else None, outcome=outcome,
                closed_on=closed_on if outcome != "open" else None, **kw)
    if competitors:
        deal.primary_competitor_id = competitors[0].id
    session.add(deal)
    session.flush()
    for competitor in competitors:
        session.add(DealCompetitor(deal_id=deal.id, competitor_id=competitor.id))
    session.flush()
    return deal


def make_interview(session: Session, deal: Deal, stakeholder: Stakeholder | None = None,
                   status: str = "completed", **kw: Any) -> WinLossInterview:
    """An interview about `deal`; a completed one was completed on 2026-06-01 unless told."""
    if status == "completed":
        kw.setdefault("completed_at", datetime(2026, 6, 1, 12, tzinfo=UTC))
    interview = WinLossInterview(deal_id=deal.id, stakeholder_id=stakeholder.id if stakeholder
                                 else None, status=status, **kw)
    session.add(interview)
    session.flush()
    return interview


def make_rating(session: Session, interview: WinLossInterview, factor: DecisionFactor,
                rating: int | None, effect: str = "neutral", importance: int | None = None
                ) -> FactorRating:
    """How the interviewee rated us on `factor` (1-5), and what it did to the outcome."""
    row = FactorRating(interview_id=interview.id, factor_id=factor.id, rating=rating,
                       effect=effect, importance=importance)
    session.add(row)
    session.flush()
    return row


def make_quote(session: Session, interview: WinLossInterview, text: str,
               factor: DecisionFactor | None = None, tags: str | None = None) -> InterviewQuote:
    quote = InterviewQuote(interview_id=interview.id, text=text, tags=tags,
                           factor_id=factor.id if factor else None)
    session.add(quote)
    session.flush()
    return quote


def make_guide(session: Session, outcome: str = "any", questions: tuple[tuple[str, str], ...] =
               (("What made you decide?", "text"), ("How easy were we to work with?", "rating")),
               factor: DecisionFactor | None = None) -> InterviewGuide:
    guide = InterviewGuide(name=f"Guide {next(_counter)}", outcome=outcome)
    session.add(guide)
    session.flush()
    for i, (text, kind) in enumerate(questions, start=1):
        session.add(GuideQuestion(guide_id=guide.id, position=i * 10, text=text, kind=kind,
                                  factor_id=factor.id if factor and kind == "rating" else None,
                                  choices="Yes;No" if kind == "choice" else None))
    session.flush()
    return guide
