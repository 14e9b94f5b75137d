"""The list of people across the user's accounts (/stakeholders)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import account_scope
from ..db import equal_when_set
from ..listing import TEXT, YES_NO, Filter, ListSpec, Sort
from ..models import Account, Stakeholder, User
from ..pagination import Page, paginate_keys

STAKEHOLDER_LIST = ListSpec(
    endpoint="stakeholders.index", title="Stakeholders",
    sorts={
        "name": Sort("Name", (sa.func.lower(Stakeholder.name),)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
        "influence": Sort("Influence", (Stakeholder.influence,)),
        "contacted": Sort("Last contacted", (Stakeholder.last_contacted_on,), nulls_last=True),
    },
    default_sort="name",
    filters=(Filter("q", "Search", TEXT), Filter("account", "Account"),
             Filter("role", "Buying role"), Filter("key", "Key", YES_NO),
             Filter("sentiment", "Sentiment"), Filter("left", "Left", YES_NO),
             Filter("opted_out", "Opted out", YES_NO),
             Filter("pulse", "Latest pulse"), Filter("coverage", "Summary coverage"),
             Filter("quarter", "Quarter", TEXT)),
    tie_breaks=(sa.func.lower(Stakeholder.name), Stakeholder.id),
)


@dataclass(frozen=True)
class PeopleFilters:
    """What the list of people is narrowed and ordered by (None: not filtered)."""

    q: str = ""
    account_id: int | None = None
    role: str | None = None
    key: bool | None = None
    sentiment: str | None = None
    left: bool | None = None
    opted_out: bool | None = None
    # A SELECT of stakeholder ids: the people behind a figure (the NPS's respondents,
    # the quarter's coverage gap), built by the figure's own module.
    among: Any = None
    sort: str = STAKEHOLDER_LIST.default_sort


def people_conditions(user: User, f: PeopleFilters) -> list[Any]:
    """WHERE of the list (joined to Account): the user's accounts, never erased people."""
    conditions = [account_scope(user, Stakeholder.account_id), Stakeholder.erased_at.is_(None)]
    q = f.q.strip()
    if q:
        conditions.append(sa.or_(Stakeholder.name.icontains(q, autoescape=True),
                                 Stakeholder.title.icontains(q, autoescape=True),
                                 Stakeholder.email.icontains(q, autoescape=True)))
    conditions += equal_when_set((Stakeholder.account_id, f.account_id),
                                 (Stakeholder.buying_role, f.role),
                                 (Stakeholder.sentiment, f.sentiment))
    if f.key is not None:
        conditions.append(Stakeholder.is_key.is_(f.key))
    for wanted, column in ((f.left, Stakeholder.left_company_at),
                           (f.opted_out, Stakeholder.opted_out_at)):
        if wanted is not None:
            conditions.append(column.is_not(None) if wanted else column.is_(None))
    if f.among is not None:
        conditions.append(Stakeholder.id.in_(f.among))
    return conditions


def _people_rows() -> Any:
    return (select(Stakeholder, Account.name, Account.slug)
            .join(Account, Account.id == Stakeholder.account_id))


def list_people(session: Session, user: User, filters: PeopleFilters, *, page: int = 1,
                size: int = 25) -> Page:
    """One page of the people at the user's accounts, as (Stakeholder, account name,
    account slug) rows: a COUNT and the page (sort keys first, then the page's rows)."""
    order = STAKEHOLDER_LIST.order_by(filters.sort)
    keys = (select(Stakeholder.id).join(Account, Account.id == Stakeholder.account_id)
            .where(*people_conditions(user, filters)).order_by(*order))
    return paginate_keys(session, keys, lambda page_ids: (
        _people_rows().where(Stakeholder.id.in_(page_ids)).order_by(*order)
    ), number=page, size=size)


def all_people(session: Session, user: User, filters: PeopleFilters) -> list[Any]:
    """Every person of the list (not one page), as `list_people` rows: the CSV."""
    return list(session.exec(_people_rows().where(*people_conditions(user, filters))
                             .order_by(*STAKEHOLDER_LIST.order_by(filters.sort))).all())


def people_ids(session: Session, user: User, filters: PeopleFilters) -> list[int]:
    """The ids of every person of the list, in its order (a bulk action's "all matching")."""
    return list(session.exec(
        select(Stakeholder.id).join(Account, Account.id == Stakeholder.account_id)
        .where(*people_conditions(user, filters))
        .order_by(*STAKEHOLDER_LIST.order_by(filters.sort))).all())


def account_options(session: Session, user: User,
                    include: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the user's accounts that have people, for the list's account filter,
    and the account `include` (the one asked for) when the user sees it though it has
    nobody: a figure's link to its people opens an empty list, the account named."""
    has_people = (select(Stakeholder.id).where(Stakeholder.account_id == Account.id,
                                               Stakeholder.erased_at.is_(None)).exists())
    offered = has_people if include is None else sa.or_(has_people, Account.id == include)
    return [(i, n) for i, n in session.exec(
        select(Account.id, Account.name).where(account_scope(user, Account.id), offered)
        .order_by(sa.func.lower(Account.name), Account.id)).all()]
