"""Deals: listing, competitors, closing, and the program rules that request interviews."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import account_scope
from ..competitors import resolve_competitors
from ..models import (
    CLOSED_OUTCOMES,
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    InterviewGuide,
    ProgramRule,
    User,
    WinLossInterview,
)

PAGE_SIZE = 50


@dataclass
class Page:
    """One page of a list, shaped for the `pager` macro."""

    items: list[Any]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def deal_scope(user: User) -> Any:
    """SQL condition: the deals a user may see.

    Deals of the user's accounts; deals without an account are seen by the program
    (analysts, admins, leaders) and by the deal's owner only.
    """
    if user.sees_all_accounts:
        return sa.true()
    return sa.or_(
        account_scope(user, Deal.account_id),
        sa.and_(Deal.account_id.is_(None), Deal.owner_id == user.id),
    )


def list_deals(
    session: Session,
    user: User,
    *,
    outcome: str | None = None,
    q: str | None = None,
    competitor_id: int | None = None,
    account_id: int | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page:
    """A page of the deals the user may see, newest close first; rows are
    (Deal, account name, owner name, primary competitor name)."""
    conditions = [deal_scope(user)]
    if outcome:
        conditions.append(Deal.outcome == outcome)
    if q:
        like = f"%{q.strip().lower()}%"
        conditions.append(sa.or_(sa.func.lower(Deal.name).like(like),
                                 sa.func.lower(Account.name).like(like)))
    if competitor_id:
        conditions.append(Deal.id.in_(select(DealCompetitor.deal_id).where(
            DealCompetitor.competitor_id == competitor_id)))
    if account_id:
        conditions.append(Deal.account_id == account_id)
    base = (
        select(Deal, Account.name, User.name, Competitor.name)
        .join(Account, Account.id == Deal.account_id, isouter=True)
        .join(User, User.id == Deal.owner_id, isouter=True)
        .join(Competitor, Competitor.id == Deal.primary_competitor_id, isouter=True)
        .where(*conditions)
    )
    total = session.exec(
        select(sa.func.count()).select_from(Deal)
        .join(Account, Account.id == Deal.account_id, isouter=True).where(*conditions)
    ).one()
    page = max(1, page)
    rows = session.exec(
        # Open deals (no close date) first, then the newest closes; same on both dialects.
        base.order_by(sa.case((Deal.closed_on.is_(None), 0), else_=1), Deal.closed_on.desc(),
                      Deal.id.desc())
        .offset((page - 1) * size).limit(size)
    ).all()
    return Page(list(rows), page, int(total), size)


def deal_competitors(session: Session, deal: Deal) -> list[Competitor]:
    return list(session.exec(
        select(Competitor).join(DealCompetitor, DealCompetitor.competitor_id == Competitor.id)
        .where(DealCompetitor.deal_id == deal.id).order_by(Competitor.name)).all())


def set_competitors(
    session: Session, deal: Deal, names: list[str], primary: str | None = None
) -> list[Competitor]:
    """Replace the deal's competitors by the named ones (aliases resolved, unknown created).

    The primary competitor is one of them (added if it was not listed). Caller commits.
    """
    found = resolve_competitors(session, names)
    primary_found = resolve_competitors(session, [primary]) if primary else []
    for competitor in primary_found:
        if competitor not in found:
            found.append(competitor)
    session.execute(sa.delete(DealCompetitor).where(DealCompetitor.deal_id == deal.id))
    for competitor in found:
        session.add(DealCompetitor(deal_id=deal.id, competitor_id=competitor.id))
    deal.primary_competitor_id = primary_found[0].id if primary_found else (
        found[0].id if found else None)
    session.flush()
    return found


def split_names(text: str | None) -> list[str]:
    """"MSFT; Oracle, SAP" -> names (either separator)."""
    return [p.strip() for p in (text or "").replace(",", ";").split(";") if p.strip()]


def guide_for_outcome(session: Session, outcome: str) -> InterviewGuide | None:
    """The active guide for this outcome, else the active "any" guide."""
    guides = session.exec(
        select(InterviewGuide).where(InterviewGuide.active.is_(True),
                                     InterviewGuide.outcome.in_([outcome, "any"]))
        .order_by(InterviewGuide.id)).all()
    for guide in guides:
        if guide.outcome == outcome:
            return guide
    return guides[0] if guides else None


def rule_matches(session: Session, rule: ProgramRule, deal: Deal, segment: str | None,
                 competitor_ids: set[int]) -> bool:
    if rule.outcome and rule.outcome != deal.outcome:
        return False
    if rule.min_amount is not None and (deal.amount or Decimal(0)) < rule.min_amount:
        return False
    if rule.competitor_id and rule.competitor_id not in competitor_ids:
        return False
    if rule.segment and (segment or "").strip().casefold() != rule.segment.strip().casefold():
        return False
    return True


def apply_program_rules(session: Session, deal: Deal) -> WinLossInterview | None:
    """Request an interview for a closed deal when an active rule matches.

    Idempotent: a deal that already has any interview (requested or otherwise) gets
    no second one. Returns the new request, if any. The caller commits.
    """
    if deal.outcome not in CLOSED_OUTCOMES or deal.id is None:
        return None
    exists = session.exec(
        select(WinLossInterview.id).where(WinLossInterview.deal_id == deal.id).limit(1)
    ).first()
    if exists is not None:
        return None
    rules = session.exec(
        select(ProgramRule).where(ProgramRule.active.is_(True)).order_by(ProgramRule.id)
    ).all()
    if not rules:
        return None
    segment = None
    if deal.account_id:
        segment = session.exec(select(Account.segment).where(Account.id == deal.account_id)).first()
    competitor_ids = set(session.exec(
        select(DealCompetitor.competitor_id).where(DealCompetitor.deal_id == deal.id)).all())
    if deal.primary_competitor_id:
        competitor_ids.add(deal.primary_competitor_id)
    for rule in rules:
        if rule_matches(session, rule, deal, segment, competitor_ids):
            guide = guide_for_outcome(session, deal.outcome)
            interview = WinLossInterview(deal_id=deal.id, status="requested", rule_id=rule.id,
                                         guide_id=guide.id if guide else None)
            session.add(interview)
            session.flush()
            return interview
    return None


def close_problems(outcome: str, account_id: int | None, closed_on: date | None) -> list[str]:
    """Why a deal cannot have this outcome yet (closed deals need an account and a date)."""
    problems = []
    if outcome in CLOSED_OUTCOMES:
        if not account_id:
            problems.append("A closed deal needs an account.")
        if closed_on is None:
            problems.append("A closed deal needs a close date.")
    return problems
