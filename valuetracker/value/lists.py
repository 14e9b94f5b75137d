"""The lists of value entries and commitments across the user's accounts (`/value`,
`/commitments`): the rows behind the value figures, sortable, filterable and downloadable
like every list (listing.py).

The filters are the figures' own conditions: an entry is listed when it counts
(`ValueEntry.counted_condition`, so `unit=currency` is `metrics.counted_currency`), and
`due=yes` / `on_time=yes` are `ValueCommitment.due_condition` / `on_time_condition`, the
on-time rate's denominator and numerator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import account_scope
from ..listing import DATE, ID, TEXT, YES_NO, Filter, ListSpec, Sort
from ..models import Account, LoyaltyPulse, Stakeholder, User, ValueCommitment, ValueEntry
from ..pagination import Page, paginate_keys
from .metrics import counted_currency
from .portfolio import migration_segment

ENTRY_LIST = ListSpec(
    endpoint="value_lists.entries", title="Value entries",
    sorts={
        "delivered": Sort("Delivered", (ValueEntry.delivered_on,)),
        "amount": Sort("Amount", (ValueEntry.amount,), nulls_last=True),
        "title": Sort("Title", (sa.func.lower(ValueEntry.title),)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
    },
    default_sort="-delivered",
    filters=(Filter("q", "Search", TEXT), Filter("account", "Account", ID),
             Filter("driver", "Driver"), Filter("unit", "Unit"),
             Filter("status", "Evidence"),
             Filter("delivered_from", "Delivered from", DATE),
             Filter("delivered_to", "Delivered to", DATE),
             Filter("segment", "Segment")),
    tie_breaks=(ValueEntry.id.desc(),),
)

COMMITMENT_LIST = ListSpec(
    endpoint="value_lists.commitments", title="Commitments",
    sorts={
        "due": Sort("Due", (ValueCommitment.due_on,)),
        "title": Sort("Title", (sa.func.lower(ValueCommitment.title),)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
        "status": Sort("Status", (ValueCommitment.status,)),
    },
    default_sort="due",
    filters=(Filter("q", "Search", TEXT), Filter("account", "Account", ID),
             Filter("status", "Status"), Filter("driver", "Driver"),
             Filter("due_from", "Due from", DATE), Filter("due_to", "Due to", DATE),
             Filter("due", "Counts as due", YES_NO), Filter("on_time", "Delivered on time",
                                                              YES_NO),
             Filter("overdue", "Overdue", YES_NO)),
    tie_breaks=(ValueCommitment.id,),
)


@dataclass(frozen=True)
class EntryFilters:
    q: str = ""
    account_id: int | None = None
    driver: str | None = None
    unit: str | None = None
    status: str | None = None
    delivered_from: date | None = None
    delivered_to: date | None = None
    segment: str | None = None  # the account's; NO_SEGMENT: none (as value migration)
    sort: str = ENTRY_LIST.default_sort


def entry_conditions(user: User, f: EntryFilters) -> list[Any]:
    """WHERE of the value list (joined to Account): the user's accounts, counted entries."""
    conditions = [account_scope(user, ValueEntry.account_id), ValueEntry.counted_condition()]
    if f.q.strip():
        conditions.append(ValueEntry.title.icontains(f.q.strip(), autoescape=True))
    if f.account_id is not None:
        conditions.append(ValueEntry.account_id == f.account_id)
    if f.driver:
        conditions.append(ValueEntry.driver == f.driver)
    if f.unit == "currency":
        conditions.append(counted_currency())  # what "value delivered" adds up
    elif f.unit:
        conditions.append(ValueEntry.unit == f.unit)
    if f.status:
        conditions.append(ValueEntry.evidence_status == f.status)
    if f.delivered_from:
        conditions.append(ValueEntry.delivered_on >= f.delivered_from)
    if f.delivered_to:
        conditions.append(ValueEntry.delivered_on <= f.delivered_to)
    if f.segment:
        conditions.append(migration_segment() == f.segment)
    return conditions


def _entry_rows() -> Any:
    return (select(ValueEntry, Account.name, Account.slug)
            .join(Account, Account.id == ValueEntry.account_id))


def list_value_entries(session: Session, user: User, f: EntryFilters, *, page: int = 1,
                       size: int = 50) -> Page:
    """One page of (ValueEntry, account name, account slug) rows."""
    return _page_of(session, ENTRY_LIST.order_by(f.sort), ValueEntry, _entry_rows(),
                    entry_conditions(user, f), page=page, size=size)


def all_value_entries(session: Session, user: User, f: EntryFilters) -> list[Any]:
    """Every row of the list (the CSV)."""
    return _all_of(session, ENTRY_LIST.order_by(f.sort), _entry_rows(),
                   entry_conditions(user, f))


def _page_of(session: Session, order: list[Any], model: Any, rows: Any,
             conditions: list[Any], *, page: int, size: int) -> Page:
    """One page of a value list: its ids (joined to Account) counted and sorted first,
    then `rows` loaded for the page's ids (`paginate_keys`)."""
    keys = (select(model.id).join(Account, Account.id == model.account_id)
            .where(*conditions).order_by(*order))
    return paginate_keys(session, keys, lambda ids: (
        rows.where(model.id.in_(ids)).order_by(*order)), number=page, size=size)


def _all_of(session: Session, order: list[Any], rows: Any, conditions: list[Any]
            ) -> list[Any]:
    return list(session.exec(rows.where(*conditions).order_by(*order)).all())


@dataclass(frozen=True)
class CommitmentFilters:
    q: str = ""
    account_id: int | None = None
    status: str | None = None
    driver: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    due: bool | None = None
    on_time: bool | None = None
    overdue: bool | None = None
    today: date | None = None
    sort: str = COMMITMENT_LIST.default_sort


def commitment_conditions(user: User, f: CommitmentFilters) -> list[Any]:
    """WHERE of the commitments list (joined to Account): the user's accounts."""
    today = f.today or date.today()
    conditions = [account_scope(user, ValueCommitment.account_id)]
    if f.q.strip():
        conditions.append(ValueCommitment.title.icontains(f.q.strip(), autoescape=True))
    if f.account_id is not None:
        conditions.append(ValueCommitment.account_id == f.account_id)
    if f.status:
        conditions.append(ValueCommitment.status == f.status)
    if f.driver:
        conditions.append(ValueCommitment.driver == f.driver)
    if f.due_from:
        conditions.append(ValueCommitment.due_on >= f.due_from)
    if f.due_to:
        conditions.append(ValueCommitment.due_on <= f.due_to)
    for wanted, condition in ((f.due, ValueCommitment.due_condition(today)),
                              (f.on_time, ValueCommitment.on_time_condition()),
                              (f.overdue, ValueCommitment.overdue_condition(today))):
        if wanted is not None:
            conditions.append(condition if wanted else sa.not_(condition))
    return conditions


def _commitment_rows() -> Any:
    return (select(ValueCommitment, Account.name, Account.slug)
            .join(Account, Account.id == ValueCommitment.account_id))


def list_commitments(session: Session, user: User, f: CommitmentFilters, *, page: int = 1,
                     size: int = 50) -> Page:
    """One page of (ValueCommitment, account name, account slug) rows."""
    return _page_of(session, COMMITMENT_LIST.order_by(f.sort), ValueCommitment,
                    _commitment_rows(), commitment_conditions(user, f), page=page, size=size)


def all_commitments(session: Session, user: User, f: CommitmentFilters) -> list[Any]:
    """Every row of the list (the CSV)."""
    return _all_of(session, COMMITMENT_LIST.order_by(f.sort), _commitment_rows(),
                   commitment_conditions(user, f))



# --- loyalty pulses (`/pulses`): the rows behind the portfolio's drift in priorities ------

PULSE_LIST = ListSpec(
    endpoint="value_lists.pulses", title="Pulses",
    sorts={
        "taken": Sort("Taken on", (LoyaltyPulse.taken_on,)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
    },
    default_sort="-taken",
    filters=(Filter("account", "Account", ID), Filter("segment", "Segment"),
             Filter("taken_from", "Taken from", DATE), Filter("taken_to", "Taken to", DATE),
             Filter("ranked", "Ranks the drivers", YES_NO)),
    tie_breaks=(LoyaltyPulse.id.desc(),),
)


def ranked_pulse() -> Any:
    """SQL: the pulse ranks the value drivers, as the drift rollups count a ranking (its
    first place named; `rollups.build.drift_source`)."""
    return LoyaltyPulse.driver_ranking[0].as_string().is_not(None)


@dataclass(frozen=True)
class PulseFilters:
    account_id: int | None = None
    segment: str | None = None  # the account's; NO_SEGMENT: none (as the drift groups)
    taken_from: date | None = None
    taken_to: date | None = None
    ranked: bool | None = None
    sort: str = PULSE_LIST.default_sort


def pulse_conditions(user: User, f: PulseFilters) -> list[Any]:
    """WHERE of the pulses list (joined to Account): the user's accounts."""
    conditions = [account_scope(user, LoyaltyPulse.account_id)]
    if f.account_id is not None:
        conditions.append(LoyaltyPulse.account_id == f.account_id)
    if f.segment:
        conditions.append(migration_segment() == f.segment)
    if f.taken_from:
        conditions.append(LoyaltyPulse.taken_on >= f.taken_from)
    if f.taken_to:
        conditions.append(LoyaltyPulse.taken_on <= f.taken_to)
    if f.ranked is not None:
        conditions.append(ranked_pulse() if f.ranked else sa.not_(sa.func.coalesce(
            ranked_pulse(), False)))
    return conditions


def _pulse_rows() -> Any:
    # The person's name unless erased: an erased person's pulse still counts, unnamed.
    return (select(LoyaltyPulse, Account.name, Account.slug,
                   sa.case((Stakeholder.erased_at.is_(None), Stakeholder.name), else_=None))
            .join(Account, Account.id == LoyaltyPulse.account_id)
            .outerjoin(Stakeholder, Stakeholder.id == LoyaltyPulse.stakeholder_id))


def list_pulses(session: Session, user: User, f: PulseFilters, *, page: int = 1,
                size: int = 50) -> Page:
    """One page of (LoyaltyPulse, account name, account slug, person's name) rows."""
    return _page_of(session, PULSE_LIST.order_by(f.sort), LoyaltyPulse, _pulse_rows(),
                    pulse_conditions(user, f), page=page, size=size)


def all_pulses(session: Session, user: User, f: PulseFilters) -> list[Any]:
    """Every row of the list (the CSV)."""
    return _all_of(session, PULSE_LIST.order_by(f.sort), _pulse_rows(),
                   pulse_conditions(user, f))


def evidence_counts(session: Session, *, account_id: int) -> dict[str, int]:
    """{evidence status: entries} of the entries one account's value list holds (one
    GROUP BY), for the value page's "N disputed entries"."""
    rows = session.exec(select(ValueEntry.evidence_status, sa.func.count())
                        .where(ValueEntry.account_id == account_id,
                               ValueEntry.counted_condition())
                        .group_by(ValueEntry.evidence_status)).all()
    return {status: int(n) for status, n in rows}
