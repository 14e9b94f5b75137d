"""Stakeholders: adding and editing people, the org chart and the coverage rules.

Coverage rules are SQL conditions (`engaged_condition` and friends) so the account page
and portfolio analytics count the same way; `coverage_warnings` turns one account's
per-person flags into the warnings shown on its relationship map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from . import audit, events
from .access import account_scope
from .db import check_version
from .forms import clean_form_data
from .listing import TEXT, YES_NO, Filter, ListSpec, Sort
from .models import OPT_OUT_LINK, Account, Stakeholder, User, utcnow
from .pagination import Page, paginate_keys

# A contact counts as engaged when contacted within this many days.
ENGAGED_WITHIN_DAYS = 90
# An account needs at least this many engaged contacts not to be single-threaded.
MIN_ENGAGED = 2

# Not "last contacted": it derives from the person's activity timeline
# (activities/contact.py), so it is logged there, never typed in here.
EDITABLE_FIELDS = (
    "name", "title", "email", "phone", "buying_role", "influence", "sentiment", "is_key",
    "reports_to_id", "preferences", "notes", "preferred_channel", "external_id",
)
# The yes/no flags a POST button (or the form) can set: flag -> timestamp column or bool.
FLAGS = {"key": "is_key", "opted_out": "opted_out_at", "left": "left_company_at"}


class ReportsToError(ValueError):
    """The chosen manager is not at the same account, or would make a reporting loop."""


class DuplicateEmailError(ValueError):
    """Someone at the same account already has this e-mail address (`.person`)."""

    def __init__(self, person: Stakeholder) -> None:
        super().__init__(f"{person.name} at this account already has this e-mail address.")
        self.person = person


# --- coverage rules as SQL --------------------------------------------------------------

def engaged_since(today: date) -> date:
    """The earliest last-contacted date that still counts as engaged."""
    return today - timedelta(days=ENGAGED_WITHIN_DAYS)


def active_condition() -> Any:
    """SQL: still at the company and not erased."""
    return sa.and_(Stakeholder.left_company_at.is_(None), Stakeholder.erased_at.is_(None))


def contactable_condition() -> Any:
    """SQL: someone we may contact (not erased, left or opted out), whatever the channel:
    the model's rule, `Stakeholder.contactable_condition(by_email=False)`."""
    return Stakeholder.contactable_condition(by_email=False)


def engaged_condition(today: date) -> Any:
    """SQL: an engaged contact = active, not opted out, last contacted in the last 90 days."""
    return sa.and_(
        contactable_condition(),
        Stakeholder.last_contacted_on.is_not(None),
        Stakeholder.last_contacted_on >= engaged_since(today),
    )


def key_left_condition() -> Any:
    """SQL: a key stakeholder who left the company (and was not erased)."""
    return sa.and_(Stakeholder.is_key.is_(True), Stakeholder.left_company_at.is_not(None),
                   Stakeholder.erased_at.is_(None))


def key_stale_condition(today: date) -> Any:
    """SQL: a contactable key stakeholder not contacted in 90 days (or never)."""
    return sa.and_(
        Stakeholder.is_key.is_(True), contactable_condition(),
        sa.or_(Stakeholder.last_contacted_on.is_(None),
               Stakeholder.last_contacted_on < engaged_since(today)),
    )


def economic_buyer_condition() -> Any:
    """SQL: an active stakeholder recorded as the economic buyer."""
    return sa.and_(Stakeholder.buying_role == "economic_buyer", active_condition())


def key_active_condition() -> Any:
    return sa.and_(Stakeholder.is_key.is_(True), active_condition())


def _flag(condition: Any) -> Any:
    return sa.case((condition, 1), else_=0)


def flag_columns(today: date) -> list[Any]:
    """Per-stakeholder 0/1 columns of every coverage condition (labelled)."""
    return [
        _flag(active_condition()).label("active"),
        _flag(engaged_condition(today)).label("engaged"),
        _flag(economic_buyer_condition()).label("economic_buyer"),
        _flag(key_active_condition()).label("key_active"),
        _flag(key_left_condition()).label("key_left"),
        _flag(key_stale_condition(today)).label("key_stale"),
    ]


COUNT_NAMES = ("active", "engaged", "economic_buyer", "key_active", "key_left", "key_stale")


def coverage_counts(
    session: Session, today: date, *, account_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """Per account, how many stakeholders meet each coverage condition (one GROUP BY).

    Accounts without stakeholders are missing from the result; use `EMPTY_COUNTS`.
    """
    sums = [sa.func.sum(_flag(c)).label(name) for name, c in zip(COUNT_NAMES, (
        active_condition(), engaged_condition(today), economic_buyer_condition(),
        key_active_condition(), key_left_condition(), key_stale_condition(today),
    ), strict=True)]
    query = select(Stakeholder.account_id, *sums).group_by(Stakeholder.account_id)
    if account_ids is not None:
        query = query.where(Stakeholder.account_id.in_(list(account_ids)))
    return {
        row[0]: {name: int(row[i + 1] or 0) for i, name in enumerate(COUNT_NAMES)}
        for row in session.exec(query).all()
    }


EMPTY_COUNTS = dict.fromkeys(COUNT_NAMES, 0)


@dataclass(frozen=True)
class CoverageWarning:
    """One gap in an account's relationships, with the people concerned."""

    code: str  # no_economic_buyer, single_threaded, no_key_stakeholder, key_left, key_stale
    message: str
    names: tuple[str, ...] = ()


def warnings_from_counts(counts: dict[str, int], names: dict[str, list[str]] | None = None
                         ) -> list[CoverageWarning]:
    """The coverage warnings of one account from its counts (and, if known, the names)."""
    names = names or {}
    found: list[CoverageWarning] = []
    if counts.get("economic_buyer", 0) == 0:
        found.append(CoverageWarning(
            "no_economic_buyer", "No economic buyer recorded: who signs off the budget?"))
    engaged = counts.get("engaged", 0)
    if engaged < MIN_ENGAGED:
        who = names.get("engaged", [])
        detail = f"only {who[0]} is engaged" if engaged == 1 and who else (
            "only one contact is engaged" if engaged == 1 else "no contact is engaged")
        found.append(CoverageWarning(
            "single_threaded",
            f"Single-threaded: {detail} (contacted in the last {ENGAGED_WITHIN_DAYS} days).",
            tuple(who)))
    if counts.get("key_active", 0) == 0:
        found.append(CoverageWarning("no_key_stakeholder", "No key stakeholder marked."))
    if counts.get("key_left", 0):
        who = names.get("key_left", [])
        found.append(CoverageWarning(
            "key_left", "A key stakeholder left the company" + _listing(who)
            + ": find their successor.", tuple(who)))
    if counts.get("key_stale", 0):
        who = names.get("key_stale", [])
        found.append(CoverageWarning(
            "key_stale", f"Key stakeholder not contacted in {ENGAGED_WITHIN_DAYS} days"
            + _listing(who) + ".", tuple(who)))
    return found


def _listing(names: Sequence[str]) -> str:
    return f" ({', '.join(names)})" if names else ""


def account_stakeholders(session: Session, account: Account, today: date
                         ) -> list[tuple[Stakeholder, dict[str, int]]]:
    """The account's people with their coverage flags, in one query (table and map).

    Erased people are left out: their record holds no one any more (their anonymised
    value, pulses and interviews still count in the account's figures)."""
    rows = session.exec(
        select(Stakeholder, *flag_columns(today))
        .where(Stakeholder.account_id == account.id, Stakeholder.erased_at.is_(None))
        .order_by(Stakeholder.is_key.desc(), Stakeholder.influence.desc(),
                  sa.func.lower(Stakeholder.name), Stakeholder.id)
    ).all()
    return [(row[0], {name: int(row[i + 1]) for i, name in enumerate(COUNT_NAMES)})
            for row in rows]


def coverage_warnings(rows: Sequence[tuple[Stakeholder, dict[str, int]]]
                      ) -> list[CoverageWarning]:
    """Warnings for one account from `account_stakeholders` rows (same SQL conditions)."""
    counts = dict(EMPTY_COUNTS)
    names: dict[str, list[str]] = {name: [] for name in COUNT_NAMES}
    for person, flags in rows:
        for name, value in flags.items():
            counts[name] += value
            if value:
                names[name].append(person.name)
    return warnings_from_counts(counts, names)


# --- org chart ------------------------------------------------------------------------

@dataclass
class OrgNode:
    """A person in the relationship map and the people reporting to them."""

    person: Stakeholder
    flags: dict[str, int]
    reports: list[OrgNode] = field(default_factory=list)


def org_tree(rows: Sequence[tuple[Stakeholder, dict[str, int]]]) -> list[OrgNode]:
    """The org chart from reports-to: top-level people (no manager here) with nested reports.

    Order within a level follows `rows`. A loop in stored data (validation prevents it,
    but the database cannot) is broken by showing its first member at the top level.
    """
    nodes = {person.id: OrgNode(person, flags) for person, flags in rows}
    roots: list[OrgNode] = []
    for node in nodes.values():
        manager = node.person.reports_to_id
        if manager in nodes and manager != node.person.id:
            nodes[manager].reports.append(node)
        else:
            roots.append(node)
    # Anyone not reachable from a root sits in a loop: lift them to the top level.
    seen: set[int] = set()

    def walk(node: OrgNode) -> None:
        seen.add(node.person.id)
        for child in node.reports:
            if child.person.id not in seen:
                walk(child)

    for root in roots:
        walk(root)
    for node in nodes.values():
        if node.person.id not in seen:
            node_manager = nodes.get(node.person.reports_to_id)
            if node_manager is not None:
                node_manager.reports.remove(node)
            roots.append(node)
            walk(node)
    return roots


# --- changes ----------------------------------------------------------------------------

def check_reports_to(session: Session, *, account_id: int, stakeholder_id: int | None,
                     manager_id: int | None) -> None:
    """Raise ReportsToError unless `manager_id` is a colleague at the same account and
    choosing them creates no loop (A reports to B reports to A)."""
    if manager_id is None:
        return
    if stakeholder_id is not None and manager_id == stakeholder_id:
        raise ReportsToError("A person cannot report to themselves.")
    chain = dict(session.exec(
        select(Stakeholder.id, Stakeholder.reports_to_id)
        .where(Stakeholder.account_id == account_id)
    ).all())
    if manager_id not in chain:
        raise ReportsToError("Choose someone at the same account.")
    current: int | None = manager_id
    steps = 0
    while current is not None and steps <= len(chain):
        if current == stakeholder_id:
            raise ReportsToError("That would make a reporting loop: this person is above "
                                 "the chosen manager.")
        current = chain.get(current)
        steps += 1


def clean_stakeholder_data(data: dict[str, Any]) -> dict[str, Any]:
    """Trim text, empty optional text to None, emails lower-case; editable fields only."""
    clean = clean_form_data(data, EDITABLE_FIELDS)
    if clean.get("email"):
        clean["email"] = clean["email"].lower()
    if "influence" in clean and clean["influence"] is not None:
        clean["influence"] = int(clean["influence"])
    return clean


def _apply_state(person: Stakeholder, *, opted_out: bool | None, left: bool | None) -> list[str]:
    """Set or clear the opted-out / left timestamps (keeping the original time if set).
    Returns the events of the marks that were just set (see `emit_state`)."""
    now = utcnow()
    started: list[str] = []
    if opted_out is not None:
        if opted_out and person.opted_out_at is None:
            started.append("stakeholder.opted_out")
        person.opted_out_at = (person.opted_out_at or now) if opted_out else None
        if person.opted_out_at is None:
            person.opted_out_via = None  # opted back in: a later opt-out says its own way
    if left is not None:
        if left and person.left_company_at is None:
            started.append("stakeholder.left")
        person.left_company_at = (person.left_company_at or now) if left else None
    return started


def emit_state(session: Session, person: Stakeholder, names: list[str], *,
               user: User | None = None, via: str = "web") -> None:
    """Emit stakeholder.left / stakeholder.opted_out for the marks just set on a person
    (who has an id: flushed). `via` says how (web, import, link)."""
    for name in names:
        events.emit(session, name, account_id=person.account_id, entity="stakeholder",
                    entity_id=person.id, user=user,
                    data={"name": person.name, "is_key": person.is_key,
                          "buying_role": person.buying_role, "via": via})


def same_email(session: Session, *, account_id: int, email: str | None,
               exclude_id: int | None = None) -> Stakeholder | None:
    """The account's (not erased) person who already has this e-mail address, if any;
    addresses compare without regard to case or surrounding spaces."""
    address = (email or "").strip().lower()
    if not address:
        return None
    query = select(Stakeholder).where(Stakeholder.account_id == account_id,
                                      sa.func.lower(Stakeholder.email) == address,
                                      Stakeholder.erased_at.is_(None))
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return session.exec(query.order_by(Stakeholder.id).limit(1)).first()


def external_id_taken(session: Session, *, account_id: int, external_id: str | None,
                      exclude_id: int | None = None) -> bool:
    """Whether someone else at the account has this external (CRM) id: they are unique
    per account (and a database index says so)."""
    value = (external_id or "").strip()
    if not value:
        return False
    query = select(Stakeholder.id).where(Stakeholder.account_id == account_id,
                                         Stakeholder.external_id == value)
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return session.exec(query.limit(1)).first() is not None


def check_unique_email(session: Session, *, account_id: int, email: str | None,
                       exclude_id: int | None = None) -> None:
    """Raise DuplicateEmailError when someone else at the account has this address."""
    existing = same_email(session, account_id=account_id, email=email, exclude_id=exclude_id)
    if existing is not None:
        raise DuplicateEmailError(existing)


def create_stakeholder(session: Session, account: Account, *, data: dict[str, Any],
                       opted_out: bool = False, left: bool = False,
                       user: User | None = None) -> Stakeholder:
    """Add a person to an account.

    Checks reports-to (raises ReportsToError) and that nobody else at the account has
    the e-mail address (DuplicateEmailError); records a "create stakeholder" event
    (without personal details). Does not commit.
    """
    values = clean_stakeholder_data(data)
    check_reports_to(session, account_id=account.id, stakeholder_id=None,
                     manager_id=values.get("reports_to_id"))
    check_unique_email(session, account_id=account.id, email=values.get("email"))
    person = Stakeholder(account_id=account.id, **values)
    started = _apply_state(person, opted_out=opted_out, left=left)
    audit.add_created(session, person, entity="stakeholder",
                      summary=f"stakeholder {person.name} added to {account.name}", user=user)
    emit_state(session, person, started, user=user)
    return person


def update_stakeholder(session: Session, person: Stakeholder, *, data: dict[str, Any],
                       expected_version: Any, opted_out: bool | None = None,
                       left: bool | None = None, user: User | None = None
                       ) -> dict[str, list[Any]]:
    """Save an edit under optimistic locking.

    Checks reports-to (ReportsToError), the e-mail address (DuplicateEmailError) and the
    version (`db.StaleEditError`, nothing changed). Records an "update stakeholder"
    event whose diff says that notes and preferences changed, never their text; returns
    the full diff. Does not commit.
    """
    values = clean_stakeholder_data(data)
    check_reports_to(session, account_id=person.account_id, stakeholder_id=person.id,
                     manager_id=values.get("reports_to_id"))
    check_unique_email(session, account_id=person.account_id, email=values.get("email"),
                       exclude_id=person.id)
    check_version(session, person, expected_version)
    before = (person.opted_out_at is not None, person.left_company_at is not None)
    started = _apply_state(person, opted_out=opted_out, left=left)
    after = (person.opted_out_at is not None, person.left_company_at is not None)
    state: dict[str, list[Any]] = {}
    if before[0] != after[0]:
        state["opted_out"] = [before[0], after[0]]
    if before[1] != after[1]:
        state["left_company"] = [before[1], after[1]]
    diff = audit.apply_changes(session, person, values, entity="stakeholder",
                               summary=lambda: f"stakeholder {person.name} updated",
                               extra=state, redact=_private_safe, user=user)
    emit_state(session, person, started, user=user)
    return diff


def _private_safe(diff: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Audit that notes changed, not their text: the trail must not keep personal notes."""
    return {key: (["…", "…"] if key in ("notes", "preferences") else value)
            for key, value in diff.items()}


def set_flag(session: Session, person: Stakeholder, flag: str, on: bool, *,
             user: User | None = None) -> bool:
    """Mark or unmark key / opted out / left the company. Returns whether anything changed.

    Bumps the version, so an edit form opened before cannot silently undo the mark.
    Records a "flag stakeholder" event when something changed. Does not commit.
    """
    column = FLAGS[flag]
    current = bool(getattr(person, column))
    if current == on:
        return False
    check_version(session, person, person.version)
    if flag == "key":
        person.is_key = on
    started = [] if flag == "key" else _apply_state(
        person, opted_out=on if flag == "opted_out" else None,
        left=on if flag == "left" else None)
    person.updated_at = utcnow()
    session.add(person)
    audit.record(session, "flag", "stakeholder", person.id,
                 f"stakeholder {person.name}: {flag.replace('_', ' ')} "
                 f"{'set' if on else 'cleared'}", details={flag: [current, on]}, user=user)
    emit_state(session, person, started, user=user)
    return True


def opt_out_by_link(session: Session, person: Stakeholder) -> bool:
    """The person opted out themselves, through the unsubscribe link of one of our mails
    (the page's button, or their mail client's one-click unsubscribe). Returns whether
    anything changed: someone already opted out (by any way) keeps their date.

    Bumps the version (an edit form opened before cannot undo it) and records an
    "opt_out stakeholder" event through "link", without a user. Does not commit.
    """
    if person.opted_out_at is not None:
        return False
    check_version(session, person, person.version)
    started = _apply_state(person, opted_out=True, left=None)
    person.opted_out_via = OPT_OUT_LINK
    person.updated_at = utcnow()
    session.add(person)
    audit.record(session, "opt_out", "stakeholder", person.id,
                 f"stakeholder {person.name} opted out through the unsubscribe link",
                 details={"opted_out": [False, True], "through": "link"})
    emit_state(session, person, started, via="link")
    return True


def manager_choices(session: Session, account: Account, *, exclude_id: int | None = None
                    ) -> list[tuple[int, str]]:
    """(id, name) of the account's people someone could report to (not erased ones)."""
    query = (select(Stakeholder.id, Stakeholder.name)
             .where(Stakeholder.account_id == account.id, Stakeholder.erased_at.is_(None))
             .order_by(sa.func.lower(Stakeholder.name)))
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return [(row[0], row[1]) for row in session.exec(query).all()]


def direct_reports(session: Session, person: Stakeholder) -> list[Stakeholder]:
    return list(session.exec(
        select(Stakeholder).where(Stakeholder.reports_to_id == person.id,
                                  Stakeholder.erased_at.is_(None))
        .order_by(sa.func.lower(Stakeholder.name))
    ).all())


# --- the list of people across accounts (/stakeholders) ---------------------------------

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
             Filter("opted_out", "Opted out", YES_NO)),
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
    sort: str = STAKEHOLDER_LIST.default_sort


def people_conditions(user: User, f: PeopleFilters) -> list[Any]:
    """WHERE of the list (joined to Account): the user's accounts, never erased people."""
    conditions = [account_scope(user, Stakeholder.account_id), Stakeholder.erased_at.is_(None)]
    q = f.q.strip()
    if q:
        conditions.append(sa.or_(Stakeholder.name.icontains(q, autoescape=True),
                                 Stakeholder.title.icontains(q, autoescape=True),
                                 Stakeholder.email.icontains(q, autoescape=True)))
    if f.account_id is not None:
        conditions.append(Stakeholder.account_id == f.account_id)
    if f.role:
        conditions.append(Stakeholder.buying_role == f.role)
    if f.sentiment:
        conditions.append(Stakeholder.sentiment == f.sentiment)
    if f.key is not None:
        conditions.append(Stakeholder.is_key.is_(f.key))
    for wanted, column in ((f.left, Stakeholder.left_company_at),
                           (f.opted_out, Stakeholder.opted_out_at)):
        if wanted is not None:
            conditions.append(column.is_not(None) if wanted else column.is_(None))
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


def account_options(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of the user's accounts that have people, for the list's account filter."""
    has_people = (select(Stakeholder.id).where(Stakeholder.account_id == Account.id,
                                               Stakeholder.erased_at.is_(None)).exists())
    return [(i, n) for i, n in session.exec(
        select(Account.id, Account.name).where(account_scope(user, Account.id), has_people)
        .order_by(sa.func.lower(Account.name), Account.id)).all()]
