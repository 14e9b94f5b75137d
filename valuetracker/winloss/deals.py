"""Deals: the SQL conditions shared by the list and the figures, competitors, closing,
and the program rules that request interviews. The list itself is `deal_list.py`.

The write functions (`create_deal`, `update_deal`, `debrief_deal`) check the deal,
record their audit events, request interviews by the program rules and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, events
from ..access import sees_all_accounts
from ..competitors import resolve_competitors
from ..db import check_version
from ..models import (
    CLOSED_OUTCOMES,
    ROLLUP_DEALS,
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    InterviewGuide,
    ProgramRule,
    User,
    WinLossInterview,
    utcnow,
)
from .errors import WinLossError

# A win-rate group of deals without a value (no segment, product, owner or competitor),
# and the deal list's filter value that opens those deals.
NONE_LABEL = "(none)"
# The deal list's outcome filter value for every closed outcome (a win rate's deals).
ANY_CLOSED = "closed"
# The interview list's outcome filter value for the deals won or lost: the interviews a
# factor impact (the won mean minus the lost mean) is taken from.
WON_OR_LOST = "won_lost"
WON_OR_LOST_OUTCOMES = ("won", "lost")


def against_competitor(competitor_id: int) -> Any:
    """SQL condition: deals in which this competitor took part."""
    return Deal.id.in_(select(DealCompetitor.deal_id).where(
        DealCompetitor.competitor_id == competitor_id))


def no_competitor() -> Any:
    """SQL condition: deals that met no competitor (the "(none)" group by competitor)."""
    return ~sa.exists().where(DealCompetitor.deal_id == Deal.id)


def shown_owner(user_name: Any, owner_name: Any) -> Any:
    """SQL: the owner's name as the figures group deals by it: the user's name when the
    deal has an owner who is a user, else the rep's name kept from a CRM import."""
    return sa.func.coalesce(user_name, owner_name)


def blank(column: Any) -> Any:
    """SQL: no value ("" and NULL alike), the "(none)" group of the figures."""
    return sa.or_(column.is_(None), column == "")


def closed_in_period(since: date | None = None, until: date | None = None) -> list[Any]:
    """SQL conditions: deals with a closed outcome, closed between since and until."""
    conditions: list[Any] = [Deal.outcome.in_(CLOSED_OUTCOMES)]
    if since is not None:
        conditions.append(Deal.closed_on >= since)
    if until is not None:
        conditions.append(Deal.closed_on <= until)
    return conditions


def reasons_compared(*, disagreeing: bool = False) -> list[Any]:
    """SQL conditions (over WinLossInterview joined to its Deal): a completed interview
    giving the buyer's primary reason of a deal whose rep gave one too (rep versus
    buyer), and with `disagreeing`, a different one."""
    conditions: list[Any] = [WinLossInterview.status == "completed",
                             WinLossInterview.primary_reason_id.is_not(None),
                             Deal.rep_reason_id.is_not(None)]
    if disagreeing:
        conditions.append(WinLossInterview.primary_reason_id != Deal.rep_reason_id)
    return conditions


# The interviews the response rate divides by: requests answered, yes or no (completed,
# declined, or never answered); the interview list's `status=answered`.
ANSWERED_STATUSES = ("completed", "declined", "no_response")
ANSWERED = "answered"
# The interview list's status filter value for the interviews the median days to
# interview is over (`days_counted`).
DAYS_COUNTED = "timed"
# How the interview list's status menu names the two, after the statuses themselves.
STATUS_GROUPS = {ANSWERED: "Answered (completed, declined or no response)",
                 DAYS_COUNTED: "Timed (completed on a known day, deal closed)"}


def interview_status_condition(status: str) -> Any:
    """SQL condition (over WinLossInterview joined to its Deal) for the interview list's
    status filter: one status, `ANSWERED` (the response rate's interviews) or
    `DAYS_COUNTED` (the median days to interview's)."""
    if status == ANSWERED:
        return WinLossInterview.status.in_(ANSWERED_STATUSES)
    if status == DAYS_COUNTED:
        return sa.and_(*days_counted())
    return WinLossInterview.status == status


def days_counted() -> list[Any]:
    """SQL conditions (over WinLossInterview joined to its Deal): the interviews the median
    days to interview is over, completed on a known day, of a deal with a close date."""
    return [WinLossInterview.status == "completed", WinLossInterview.completed_at.is_not(None),
            Deal.closed_on.is_not(None)]


def has_compared_reasons(*, disagreeing: bool = False) -> Any:
    """SQL condition: deals with an interview `reasons_compared` counts (the rep-versus-
    buyer deals; the deal list's `debrief` filter)."""
    return sa.exists().where(WinLossInterview.deal_id == Deal.id,
                             *reasons_compared(disagreeing=disagreeing))


# The deal list's sorts and filters (listing.py reads them from the URL). Open deals (no
# close date) count as closing last: newest close first puts them on top.
def reassign_deal_owner(session: Session, deal: Deal, owner_id: int, *,
                        user: User | None = None) -> bool:
    """Give the deal to another owner (a bulk reassignment; a rep kept by name is
    cleared). Returns whether anything changed. Bumps the version and records an
    "update deal" event with the owner's before/after. Does not commit."""
    if deal.owner_id == owner_id and not deal.owner_name:
        return False
    check_version(session, deal, deal.version)
    diff: dict[str, list[Any]] = {"owner_id": [deal.owner_id, owner_id]}
    if deal.owner_name:
        diff["owner_name"] = [deal.owner_name, None]
    deal.owner_id, deal.owner_name = owner_id, None
    session.add(deal)
    audit.record(session, "update", "deal", deal.id, f"deal {deal.name}: owner changed",
                 details=diff, user=user)
    return True


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
    session.execute(sa.delete(DealCompetitor).where(DealCompetitor.deal_id == deal.id)
                    .execution_options(**{ROLLUP_DEALS: (deal.id,)}))
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
    """Whether an active rule asks for an interview on this closed deal."""
    return _matches(rule, deal.outcome, deal.amount, segment, competitor_ids)


def _matches(rule: ProgramRule, outcome: str, amount: Decimal | None, segment: str | None,
             competitor_ids: set[int]) -> bool:
    """THE program rule test, on a deal's values (so bulk callers need no Deal objects)."""
    if rule.outcome and rule.outcome != outcome:
        return False
    if rule.min_amount is not None and (amount or Decimal(0)) < rule.min_amount:
        return False
    if rule.competitor_id and rule.competitor_id not in competitor_ids:
        return False
    if rule.segment and (segment or "").strip().casefold() != rule.segment.strip().casefold():
        return False
    return True


# Deals looked at per round trip in apply_program_rules_to_deals.
RULES_CHUNK = 500


def apply_program_rules(session: Session, deal: Deal) -> WinLossInterview | None:
    """Request an interview for a closed deal when an active rule matches.

    Idempotent: a deal that already has any interview (requested or otherwise) gets
    no second one. Returns the new request, if any. The caller commits.
    """
    if deal.outcome not in CLOSED_OUTCOMES or deal.id is None:
        return None
    new_ids = apply_program_rules_to_deals(session, [deal.id])
    return session.get(WinLossInterview, new_ids[0]) if new_ids else None


def apply_program_rules_to_deals(session: Session, deal_ids: Iterable[int]) -> list[int]:
    """Request one interview for each of these deals that is closed, has no interview yet
    and matches an active program rule (the first matching rule, by id). The caller commits.

    Bounded queries whatever the number of deals: one for the rules, one for the guides,
    then per 500 deals one for the deals (segment joined, deals with an interview left
    out), one for their competitors (only when a rule names a competitor), one
    INSERT of all the requests and one SELECT of their ids. Returns the new interviews' ids.
    """
    ids = sorted({int(i) for i in deal_ids if i is not None})
    if not ids:
        return []
    rules = session.exec(
        select(ProgramRule).where(ProgramRule.active.is_(True)).order_by(ProgramRule.id)
    ).all()
    if not rules:
        return []
    guides = session.exec(
        select(InterviewGuide).where(InterviewGuide.active.is_(True)).order_by(InterviewGuide.id)
    ).all()

    def guide_id(outcome: str) -> int | None:
        # Same choice as guide_for_outcome: this outcome's guide, else the "any" guide.
        for wanted in (outcome, "any"):
            for guide in guides:
                if guide.outcome == wanted:
                    return guide.id
        return None

    needs_competitors = any(rule.competitor_id for rule in rules)
    has_interview = sa.exists().where(WinLossInterview.deal_id == Deal.id)
    new_ids: list[int] = []
    for start in range(0, len(ids), RULES_CHUNK):
        chunk = ids[start:start + RULES_CHUNK]
        deals = session.exec(
            select(Deal.id, Deal.outcome, Deal.amount, Deal.primary_competitor_id, Account.segment)
            .join(Account, Account.id == Deal.account_id, isouter=True)
            .where(Deal.id.in_(chunk), Deal.outcome.in_(CLOSED_OUTCOMES), ~has_interview)
            .order_by(Deal.id)
        ).all()
        if not deals:
            continue
        competitors: dict[int, set[int]] = {}
        if needs_competitors:
            for deal_id, competitor_id in session.exec(
                select(DealCompetitor.deal_id, DealCompetitor.competitor_id)
                .where(DealCompetitor.deal_id.in_([d[0] for d in deals]))
            ).all():
                competitors.setdefault(deal_id, set()).add(competitor_id)
        now = utcnow()
        rows = []
        for deal_id, outcome, amount, primary_id, segment in deals:
            competitor_ids = competitors.get(deal_id, set())
            if primary_id:
                competitor_ids = competitor_ids | {primary_id}
            rule = next((r for r in rules
                         if _matches(r, outcome, amount, segment, competitor_ids)), None)
            if rule is not None:
                rows.append({"deal_id": deal_id, "status": "requested", "rule_id": rule.id,
                             "guide_id": guide_id(outcome), "requested_at": now})
        if rows:
            # A plain executemany (RETURNING would be a statement per row on SQLite), then
            # the new ids by deal: these deals had no interview before this insert.
            session.execute(sa.insert(WinLossInterview).execution_options(
                **{ROLLUP_DEALS: tuple(row["deal_id"] for row in rows)}), rows)
            new_ids.extend(session.exec(
                select(WinLossInterview.id)
                .where(WinLossInterview.deal_id.in_([row["deal_id"] for row in rows]))
                .order_by(WinLossInterview.id)).all())
    return new_ids


@dataclass
class SavedDeal:
    """A deal just saved, and the interview a program rule requested for it (if any)."""

    deal: Deal
    requested: WinLossInterview | None = None


def check_deal(session: Session, data: dict[str, Any], *, deal: Deal | None,
               user: User) -> None:
    """Raise WinLossError unless `data` (all of a deal's fields) may be saved.

    The external id is unique; a closed deal has an account and a close date; a deal
    without an account is the user's own unless they see every account (else they could
    not see it: `access.deal_scope`).
    """
    external_id = data.get("external_id")
    if external_id:
        clash = session.exec(select(Deal.id).where(Deal.external_id == external_id)).first()
        if clash is not None and (deal is None or clash != deal.id):
            raise WinLossError("Another deal has this external id.", field="external_id")
    problems = close_problems(data["outcome"], data["account_id"], data["closed_on"])
    if data["account_id"] is None and not sees_all_accounts(user) \
            and data["owner_id"] != user.id:
        problems.append("A deal without an account must be your own.")
    if problems:
        raise WinLossError(problems)


def create_deal(session: Session, *, data: dict[str, Any], competitors: list[str],
                primary_competitor: str | None, user: User) -> SavedDeal:
    """Add a deal with its competitors; request an interview if a program rule matches.

    Checks `check_deal` (WinLossError). Records "create deal" (its fields) and, for a
    request, "create interview". Does not commit.
    """
    check_deal(session, data, deal=None, user=user)
    deal = Deal(**data)
    audit.add_created(session, deal, entity="deal", summary=f"deal {deal.name} created",
                      details={k: None if v is None else str(v) for k, v in data.items()},
                      user=user)
    set_competitors(session, deal, competitors, primary_competitor)
    emit_if_closed(session, deal, was=None, user=user)
    return SavedDeal(deal, _request_by_rules(session, deal, user=user, name_rule=True))


def update_deal(session: Session, deal: Deal, *, data: dict[str, Any], expected_version: Any,
                competitors: list[str], primary_competitor: str | None,
                user: User) -> SavedDeal:
    """Save an edited deal and its competitors under optimistic locking; request an
    interview if the deal is now closed and a program rule matches.

    Checks `check_deal` (WinLossError) and the version (`db.StaleEditError`); either
    way nothing changed. Records "update deal" (the diff) and, for a request, "create
    interview". Does not commit.
    """
    check_deal(session, data, deal=deal, user=user)
    was = deal.outcome
    _save_fields(session, deal, data, expected_version, summary=None, user=user)
    set_competitors(session, deal, competitors, primary_competitor)
    emit_if_closed(session, deal, was=was, user=user)
    return SavedDeal(deal, _request_by_rules(session, deal, user=user, name_rule=True))


def debrief_deal(session: Session, deal: Deal, *, data: dict[str, Any], expected_version: Any,
                 user: User) -> SavedDeal:
    """The rep's debrief on closing (outcome, close date, primary reason, notes), under
    optimistic locking; requests an interview if a program rule matches.

    Checks `close_problems` (WinLossError) and the version (`db.StaleEditError`).
    Records "update deal" ("debrief of deal …") and, for a request, "create interview".
    Does not commit.
    """
    problems = close_problems(data["outcome"], deal.account_id, data["closed_on"])
    if problems:
        raise WinLossError(problems)
    was = deal.outcome
    _save_fields(session, deal, data, expected_version, summary=f"debrief of deal {deal.name}",
                 user=user)
    emit_if_closed(session, deal, was=was, user=user)
    return SavedDeal(deal, _request_by_rules(session, deal, user=user, name_rule=False))


def emit_if_closed(session: Session, deal: Deal, *, was: str | None, user: User | None,
                   via: str = "web") -> None:
    """Emit deal.closed when a deal has just got a closed outcome (it was open or new).
    The deal has an id (flushed). `via` says how (web, import)."""
    if deal.outcome in CLOSED_OUTCOMES and was not in CLOSED_OUTCOMES:
        events.emit(session, "deal.closed", account_id=deal.account_id, entity="deal",
                    entity_id=deal.id, user=user,
                    data={"name": deal.name, "outcome": deal.outcome,
                          "amount": None if deal.amount is None else str(deal.amount),
                          "closed_on": deal.closed_on.isoformat() if deal.closed_on else None,
                          "external_id": deal.external_id, "via": via})


def _save_fields(session: Session, deal: Deal, data: dict[str, Any], expected_version: Any, *,
                 summary: str | None, user: User) -> dict[str, list[Any]]:
    check_version(session, deal, expected_version)
    return audit.apply_changes(session, deal, data, entity="deal",
                               summary=lambda: summary or f"deal {deal.name} updated", user=user)


def _request_by_rules(session: Session, deal: Deal, *, user: User,
                      name_rule: bool) -> WinLossInterview | None:
    """`apply_program_rules`, audited. (The deal form's event names the rule, the
    debrief's does not: both texts are kept as the trail has them.)"""
    requested = apply_program_rules(session, deal)
    if requested is not None:
        audit.record(session, "create", "interview", requested.id,
                     f"interview requested for deal {deal.name}"
                     + (f" by rule {requested.rule_id}" if name_rule else ""), user=user)
    return requested


def close_problems(outcome: str, account_id: int | None, closed_on: date | None) -> list[str]:
    """Why a deal cannot have this outcome yet (closed deals need an account and a date)."""
    problems = []
    if outcome in CLOSED_OUTCOMES:
        if not account_id:
            problems.append("A closed deal needs an account.")
        if closed_on is None:
            problems.append("A closed deal needs a close date.")
    return problems
