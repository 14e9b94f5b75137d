"""The deals list: its sorts and filters (`DEAL_LIST`, `DealFilters`), the scoped
queries behind the page, its CSV and a bulk action's "all matching", and the choices of
its filters. The SQL conditions it shares with the win/loss figures (`closed_in_period`,
`shown_owner`, `against_competitor`, …) live in `deals.py`, beside the deal writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..access import deal_scope
from ..listing import AMOUNT, DATE, ID, TEXT, Filter, ListSpec, Sort
from ..models import CLOSED_OUTCOMES, Account, Competitor, Deal, User
from ..pagination import Page, paginate_keys
from .deals import (
    ANY_CLOSED,
    NONE_LABEL,
    against_competitor,
    blank,
    has_compared_reasons,
    no_competitor,
    shown_owner,
)

# The deal list's `debrief` filter: deals whose rep and buyer (a completed interview)
# both gave a primary reason, and those whose reasons differ (the analytics' rep versus
# buyer).
DEBRIEFS = ("compared", "disagreeing")

PAGE_SIZE = 50

_CLOSED_SORT = (sa.case((Deal.closed_on.is_(None), 1), else_=0), Deal.closed_on)
DEAL_LIST = ListSpec(
    endpoint="winloss.deals", title="Deals",
    sorts={
        "closed": Sort("Close date", _CLOSED_SORT),
        "amount": Sort("Amount", (Deal.amount,), nulls_last=True),
        "name": Sort("Name", (sa.func.lower(Deal.name),)),
        "account": Sort("Account", (sa.func.lower(Account.name),), nulls_last=True),
    },
    default_sort="-closed",
    filters=(Filter("q", "Search", TEXT), Filter("outcome", "Outcome"),
             Filter("owner", "Owner"), Filter("product", "Product"),
             Filter("competitor", "Competitor"), Filter("account", "Account", ID),
             Filter("closed_from", "Closed from", DATE), Filter("closed_to", "Closed to", DATE),
             Filter("amount_min", "Amount from", AMOUNT),
             Filter("amount_max", "Amount to", AMOUNT),
             Filter("segment", "Segment"), Filter("rep", "Owner named", TEXT),
             Filter("rep_reason", "Rep's primary reason", ID),
             Filter("debrief", "Rep versus buyer")),
    tie_breaks=(Deal.id.desc(),),
)


@dataclass(frozen=True)
class DealFilters:
    """What the deal list is narrowed and ordered by (all optional)."""

    outcome: str | None = None
    q: str | None = None
    competitor_id: int | None = None
    account_id: int | None = None
    owner_id: int | None = None
    owner_name: str | None = None  # a rep kept by name (no user)
    product: str | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    segment: str | None = None  # the account's segment; NONE_LABEL: none
    rep: str | None = None  # the owner's name as figures show it (`shown_owner`)
    rep_reason_id: int | None = None  # the rep's primary reason (a decision factor)
    debrief: str | None = None  # a `DEBRIEFS` value: rep versus buyer
    no_competitor: bool = False
    no_product: bool = False
    sort: str = DEAL_LIST.default_sort


def deal_list_conditions(user: User, f: DealFilters) -> list[Any]:
    """WHERE of the deal list (joined to Account for the search): scope and filters."""
    conditions = [deal_scope(user)]
    if f.owner_id:
        conditions.append(Deal.owner_id == f.owner_id)
    if f.owner_name:
        conditions.append(sa.and_(Deal.owner_id.is_(None), Deal.owner_name == f.owner_name))
    if f.outcome == ANY_CLOSED:
        conditions.append(Deal.outcome.in_(CLOSED_OUTCOMES))
    elif f.outcome:
        conditions.append(Deal.outcome == f.outcome)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        conditions.append(sa.or_(sa.func.lower(Deal.name).like(like),
                                 sa.func.lower(Account.name).like(like)))
    if f.competitor_id:
        conditions.append(against_competitor(f.competitor_id))
    if f.account_id:
        conditions.append(Deal.account_id == f.account_id)
    if f.product:
        conditions.append(Deal.product == f.product)
    if f.no_product:
        conditions.append(blank(Deal.product))
    if f.no_competitor:
        conditions.append(no_competitor())
    if f.segment == NONE_LABEL:
        conditions.append(blank(Account.segment))
    elif f.segment:
        conditions.append(Account.segment == f.segment)
    if f.rep == NONE_LABEL:
        conditions.append(blank(shown_owner(_owner_user_name(), Deal.owner_name)))
    elif f.rep:
        conditions.append(shown_owner(_owner_user_name(), Deal.owner_name) == f.rep)
    if f.rep_reason_id:
        conditions.append(Deal.rep_reason_id == f.rep_reason_id)
    if f.debrief in DEBRIEFS:
        conditions.append(has_compared_reasons(disagreeing=f.debrief == "disagreeing"))
    if f.closed_from:
        conditions.append(Deal.closed_on >= f.closed_from)
    if f.closed_to:
        conditions.append(Deal.closed_on <= f.closed_to)
    if f.amount_min is not None:
        conditions.append(Deal.amount >= f.amount_min)
    if f.amount_max is not None:
        conditions.append(Deal.amount <= f.amount_max)
    return conditions


def _owner_user_name() -> Any:
    owner = aliased(User, name="deal_owner")  # the list's rows join User already
    return (select(owner.name).where(owner.id == Deal.owner_id)
            .correlate_except(owner).scalar_subquery())


def deal_segments(session: Session, user: User) -> list[str]:
    """Segments of the accounts of the deals `user` may see, for the segment filter."""
    # EXISTS, not a join: each account is probed for one deal (an index lookup), instead
    # of every deal joined to its account and the pairs made distinct.
    has_deal = select(Deal.id).where(Deal.account_id == Account.id, deal_scope(user))
    return [s for s in session.exec(
        select(Account.segment).distinct()
        .where(has_deal.exists(), Account.segment.is_not(None), Account.segment != "")
        .order_by(Account.segment)).all()]


def _keys(user: User, f: DealFilters) -> Any:
    """The ids of the list's deals (not ordered). Joined to Account only when a filter or
    the sort reads it: the COUNT of a large list then reads one index of `deal`."""
    keys = select(Deal.id)
    if f.q or f.segment or f.sort.lstrip("-") == "account":
        keys = keys.join(Account, Account.id == Deal.account_id, isouter=True)
    return keys.where(*deal_list_conditions(user, f))


def _deal_rows() -> Any:
    return (select(Deal, Account.name, User.name, Competitor.name)
            .join(Account, Account.id == Deal.account_id, isouter=True)
            .join(User, User.id == Deal.owner_id, isouter=True)
            .join(Competitor, Competitor.id == Deal.primary_competitor_id, isouter=True))


def list_deals(
    session: Session,
    user: User,
    filters: DealFilters | None = None,
    *,
    page: int = 1,
    size: int = PAGE_SIZE,
    **by: Any,
) -> Page:
    """A page of the deals the user may see (default: newest close first, open deals on
    top); rows are (Deal, account name, owner's user name, primary competitor name). A
    deal whose owner is no user has its kept name in `Deal.owner_name` (`owner_name`
    filters on it, `owner_id` on the user). `by` are `DealFilters` fields, for callers
    that name one or two."""
    f = filters or DealFilters(**by)
    order = DEAL_LIST.order_by(f.sort)
    keys = _keys(user, f).order_by(*order)
    return paginate_keys(session, keys, lambda page_ids: (
        _deal_rows().where(Deal.id.in_(page_ids)).order_by(*order)
    ), number=page, size=size)


def all_deals(session: Session, user: User, filters: DealFilters) -> list[Any]:
    """Every deal of the list (not one page), as `list_deals` rows: the CSV."""
    return list(session.exec(_deal_rows().where(*deal_list_conditions(user, filters))
                             .order_by(*DEAL_LIST.order_by(filters.sort))).all())


def deal_products(session: Session, user: User) -> list[str]:
    """Products of the deals the user may see, for the list's product filter."""
    return [p for p in session.exec(
        select(Deal.product).distinct()
        .where(deal_scope(user), Deal.product.is_not(None), Deal.product != "")
        .order_by(Deal.product)).all()]


def deal_owner_options(session: Session, user: User) -> tuple[list[tuple[int, str]], list[str]]:
    """The owners of the deals `user` may see, for the list's owner filter: the users
    (id, name), and the names kept for reps who are not users. Two queries."""
    # EXISTS per user (an index lookup on the deal's owner), not IN over every deal's owner.
    owns = select(Deal.id).where(Deal.owner_id == User.id, deal_scope(user))
    users = session.exec(
        select(User.id, User.name).where(owns.exists())
        .order_by(User.name, User.id)).all()
    kept = session.exec(
        select(Deal.owner_name).where(deal_scope(user), Deal.owner_id.is_(None),
                                      Deal.owner_name.is_not(None))
        .distinct().order_by(Deal.owner_name)).all()
    return [(i, n) for i, n in users], list(kept)


def owner_label(owner: str | None, deal: Deal | Any) -> str | None:
    """How a deal's owner is shown: the user's name, else the kept name "(not a user)"."""
    if owner:
        return owner
    return f"{deal.owner_name} (not a user)" if getattr(deal, "owner_name", None) else None


def deal_ids(session: Session, user: User, filters: DealFilters) -> list[int]:
    """The ids of every deal of the list, in its order (a bulk action's "all matching")."""
    return list(session.exec(
        _keys(user, filters).order_by(*DEAL_LIST.order_by(filters.sort))).all())
