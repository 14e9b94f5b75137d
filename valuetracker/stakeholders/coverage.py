"""The coverage rules and the relationship map.

Coverage rules are SQL conditions (`engaged_condition` and friends) so the account page
and portfolio analytics count the same way; `coverage_warnings` turns one account's
per-person flags into the warnings shown on its relationship map, and `org_tree` is the
map's org chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Account, Stakeholder

# A contact counts as engaged when contacted within this many days.
ENGAGED_WITHIN_DAYS = 90
# An account needs at least this many engaged contacts not to be single-threaded.
MIN_ENGAGED = 2


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

