"""Coverage: did everyone in the quarter's send get the quarter's summary?

Coverage (docs/definitions.md) = people in the quarter's send who were sent its summary /
everyone in the quarter's send. Who is in the send is one rule, shared with generation
(`scope.py`): key stakeholders of active accounts who have not left, not opted out, not
been erased and have an e-mail address. Everyone else is listed with why (skipped), so
100% is reachable. Figures are one aggregate query; the coverage page's lists are
paginated (ids of one page first, then the figures or rows of that page only) and hold
the active accounts, the others being named by `scope.excluded_accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import (
    Account,
    Distribution,
    Stakeholder,
    ValueSummary,
    contact_block,
)
from ..pagination import Page, paginate
from ..quarters import Quarter
from ..rollups import coverage as coverage_rollup
from .scope import (
    exclusion_since,
    in_send_condition,
    send_account_condition,
    send_exclusion,
)
from .send import unknown_condition

COVERAGE_STATES = ("received", "skipped", "missing")
# The reason of a missing stakeholder whose sending's delivery is unknown (send.py).
DELIVERY_UNKNOWN_REASON = "delivery unknown"


def coverage_state(exclusion: str | None, *, sent: bool, generated: bool,
                   unknown: bool = False) -> tuple[str, str]:
    """(state, reason) of a listed key stakeholder for the quarter, the first that applies.

    `exclusion` is why they are not in the quarter's send (`scope.send_exclusion`): then
    they are skipped, whatever was sent before (coverage does not count them).
    """
    if exclusion is not None:
        return "skipped", exclusion
    if sent:
        return "received", "sent"
    if unknown:  # not counted as sent until a person resolves it
        return "missing", DELIVERY_UNKNOWN_REASON
    if generated:
        return "missing", "generated, not sent"
    return "missing", "not generated"


def _listed_condition() -> Any:
    """Key stakeholders shown in the coverage lists (the erased are gone for good)."""
    return sa.and_(Stakeholder.is_key.is_(True), Stakeholder.erased_at.is_(None))


def _skipped_condition() -> Any:
    """Listed but not counted: not in the quarter's send (over Stakeholder and Account)."""
    return sa.not_(in_send_condition())


def _sent_ids(quarter: Quarter) -> Any:
    """Ids of the stakeholders sent the quarter's summary. Used as `IN (...)` over many
    stakeholders: SQLite builds the list once, where `_sent_exists` would probe per row."""
    return (
        select(ValueSummary.stakeholder_id)
        .join(Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder",
               ValueSummary.stakeholder_id.is_not(None),  # NOT IN with a NULL matches nothing
               Distribution.status == "sent")
    )


def _sent_exists(quarter: Quarter) -> Any:
    return (
        select(Distribution.id)
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label,
               ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")
        .exists()
    )


@dataclass
class AccountCoverage:
    account_id: int
    name: str
    slug: str
    eligible: int
    sent: int
    status_of: dict[int, str] = field(default_factory=dict)

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.sent) / Decimal(self.eligible) if self.eligible else None


@dataclass
class CoverageRow:
    """One key stakeholder's state for the quarter."""

    stakeholder_id: int
    name: str
    title: str | None
    account_name: str
    account_slug: str
    state: str  # received, skipped, missing
    reason: str
    sent_at: datetime | None
    summary_id: int | None
    unknown_id: int | None = None  # the delivery-unknown sending, for its resolve buttons
    since: date | None = None  # when they left or opted out, for a skipped row's reason

    @property
    def delivery_unknown(self) -> bool:
        return self.unknown_id is not None and self.state == "missing"


def coverage_by_account(session: Session, quarter: Quarter, scope: Any) -> list[AccountCoverage]:
    """Coverage per account (accounts with at least one key stakeholder), one GROUP BY.
    An account that is not active has nobody in the send (eligible 0, rate None)."""
    eligible = in_send_condition()
    sent = sa.and_(eligible, _sent_exists(quarter))
    rows = session.exec(
        select(Account.id, Account.name, Account.slug,
               sa.func.sum(sa.case((eligible, 1), else_=0)),
               sa.func.sum(sa.case((sent, 1), else_=0)))
        .join(Stakeholder, Stakeholder.account_id == Account.id)
        .where(scope, _listed_condition())
        .group_by(Account.id, Account.name, Account.slug)
        .order_by(Account.name)
    ).all()
    return [AccountCoverage(i, n, s, int(e or 0), int(c or 0)) for i, n, s, e, c in rows]


@dataclass
class PortfolioCoverage:
    """The portfolio figure, with the sizes of the coverage page's lists."""

    eligible: int
    sent: int
    listed: int  # key stakeholders of active accounts in the list: eligible + skipped
    accounts: int  # active accounts with at least one listed key stakeholder
    accounts_below_full: int  # accounts where someone eligible was not sent the summary

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.sent) / Decimal(self.eligible) if self.eligible else None

    def count_in(self, state: str = "") -> int:
        """How many listed key stakeholders are in `state` (all of them for "")."""
        return {"": self.listed, "received": self.sent, "skipped": self.listed - self.eligible,
                "missing": self.eligible - self.sent}[state]


def portfolio_coverage(session: Session, quarter: Quarter, scope: Any) -> PortfolioCoverage:
    """The portfolio figure over the active accounts in `scope`, one aggregate query over
    the coverage rollup (`valuetracker.rollups.coverage`, a row per account): counts of
    people summed over the portfolio (not a mean of the accounts' rates). Accounts that
    are not active have nobody in the send (`scope.excluded_accounts`)."""
    coverage_rollup.settle(session)
    people = coverage_rollup.PEOPLE
    sent = sa.func.coalesce(coverage_rollup.SENT.sent, 0)
    counts = select(
        sa.func.sum(people.reachable), sa.func.sum(sent), sa.func.sum(people.key_people),
        sa.func.count(), sa.func.sum(sa.case((sent < people.reachable, 1), else_=0))
    ).select_from(Account)
    row = session.exec(
        coverage_rollup.with_sent(coverage_rollup.with_people(counts), quarter.label)
        .where(scope, send_account_condition(), people.key_people > 0)
    ).one()
    return PortfolioCoverage(*(int(n or 0) for n in row))


def coverage_by_account_page(session: Session, quarter: Quarter, scope: Any,
                             totals: PortfolioCoverage, *, number: int, size: int,
                             below_full: bool = False) -> Page:
    """One page of `coverage_by_account` over the active accounts, by account name: the
    page's account ids, then the GROUP BY for those accounts only. `below_full` keeps the
    accounts where someone eligible was not sent the summary. `totals` (the portfolio
    figure of the same scope and quarter) counts the list, so no COUNT runs."""
    who = (sa.and_(in_send_condition(), Stakeholder.id.not_in(_sent_ids(quarter)))
           if below_full else _listed_condition())
    condition = select(Stakeholder.id).where(Stakeholder.account_id == Account.id, who).exists()
    ids = select(Account.id).where(scope, send_account_condition(), condition) \
        .order_by(Account.name)
    page = paginate(session, ids, number=number, size=size,
                    total=totals.accounts_below_full if below_full else totals.accounts)
    return replace(page, items=coverage_by_account(session, quarter,
                                                   sa.and_(scope, Account.id.in_(page.items))))


def _state_condition(state: str, quarter: Quarter) -> Any:
    """SQL for one state of `coverage_rows` (received, skipped or missing), or `in_send`
    (received or missing: the people the coverage figure divides by)."""
    skipped = _skipped_condition()
    sent = Stakeholder.id.in_(_sent_ids(quarter))
    return {"skipped": skipped, "in_send": sa.not_(skipped),
            "received": sa.and_(sa.not_(skipped), sent),
            "missing": sa.and_(sa.not_(skipped), sa.not_(sent))}[state]


# The stakeholder list's `coverage` filter: the people behind the coverage figures.
COVERAGE_FILTERS = (*COVERAGE_STATES, "in_send")


def coverage_stakeholders(quarter: Quarter, state: str) -> Any:
    """SELECT of the ids of the key stakeholders of active accounts in one state of
    `COVERAGE_FILTERS`: `in_send` are the people `portfolio_coverage` counts as eligible,
    `received` those it counts as sent, `missing` the coverage gap (not yet sent)."""
    return (select(Stakeholder.id).join(Account, Account.id == Stakeholder.account_id)
            .where(send_account_condition(), _listed_condition(),
                   _state_condition(state, quarter)))


def coverage_rows_page(session: Session, quarter: Quarter, scope: Any,
                       totals: PortfolioCoverage, *, number: int, size: int,
                       state: str = "") -> Page:
    """One page of `coverage_rows` over the active accounts, optionally in one state: the
    page's stakeholder ids, then `coverage_rows` for those people only. `totals` (the
    portfolio figure of the same scope and quarter) counts each state, so no COUNT runs."""
    ids = (
        select(Stakeholder.id)
        .join(Account, Account.id == Stakeholder.account_id)
        .where(scope, send_account_condition(), _listed_condition(),
               _state_condition(state, quarter) if state else sa.true())
        .order_by(Account.name, Stakeholder.name, Stakeholder.id)
    )
    page = paginate(session, ids, number=number, size=size, total=totals.count_in(state))
    return replace(page, items=coverage_rows(session, quarter,
                                             sa.and_(scope, Stakeholder.id.in_(page.items))))


def coverage_rows(session: Session, quarter: Quarter, scope: Any) -> list[CoverageRow]:
    """Every (non-erased) key stakeholder in scope with received / skipped (why, and
    since when for someone who left or opted out) / missing.

    A summary counts as received when a sending of it succeeded (`sent`, which always
    stamps `sent_at`), the same rule as the figures and `_state_condition`."""
    sent_at = (
        select(sa.func.max(Distribution.sent_at))
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")
        .scalar_subquery()
    )
    summary_id = (
        select(sa.func.max(ValueSummary.id))
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder")
        .scalar_subquery()
    )
    unknown_id = (
        select(sa.func.max(Distribution.id))
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder",
               unknown_condition())
        .scalar_subquery()
    )
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.name, Stakeholder.title, Stakeholder.email,
               Stakeholder.opted_out_at, Stakeholder.left_company_at,
               Account.name, Account.slug, Account.status, sent_at, summary_id, unknown_id)
        .join(Account, Account.id == Stakeholder.account_id)
        .where(scope, _listed_condition())
        .order_by(Account.name, Stakeholder.name, Stakeholder.id)
    ).all()
    result = []
    for (sid, name, title, email, opted_out, left, acc_name, acc_slug, acc_status, sent,
         summary, unknown) in rows:
        blocked = contact_block(erased=False, left=left is not None,
                                opted_out=opted_out is not None, has_email=bool(email),
                                by_email=True)
        exclusion = send_exclusion(account_status=acc_status, is_key=True,
                                   block_reason=blocked)
        state, reason = coverage_state(exclusion, sent=sent is not None,
                                       generated=summary is not None,
                                       unknown=unknown is not None)
        result.append(CoverageRow(sid, name, title, acc_name, acc_slug, state, reason, sent,
                                  summary, unknown,
                                  exclusion_since(exclusion, left=left, opted_out=opted_out)))
    return result


def account_coverage(session: Session, account: Account, quarter: Quarter) -> AccountCoverage:
    """One account's coverage figure plus each key stakeholder's state."""
    scope = Account.id == account.id
    rows = coverage_by_account(session, quarter, scope)
    figure = rows[0] if rows else AccountCoverage(account.id, account.name, account.slug, 0, 0)
    figure.status_of = {r.stakeholder_id: r.state for r in coverage_rows(session, quarter, scope)}
    return figure
