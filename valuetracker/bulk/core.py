"""Bulk actions on a list's selection: what an action is, checking a selection, and
doing it all-or-nothing.

An `Action` says how to load the selected rows (scoped to the user: rows outside the
user's scope are simply not found), why a row is refused (`refuse`: the access rule or
the area's own rule, in words), whether it is already as asked (`unchanged`), and how to
change one row (`apply`: the area's write function, which records the audit event).

- `inspect` reads the selection in chunks and says, per row, what will happen (the
  confirmation step, and the first pass of a bulk job, with progress).
- `execute` does it in the caller's transaction, checking every row again as it goes:
  when any row is refused it writes nothing more and raises `Refused` with every
  refusal, and the caller rolls back. Nothing is written when anything is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from ..models import User

# Rows read and changed per statement batch: keeps `IN (...)` lists short.
CHUNK = 200
# The largest selection one action takes ("all matching" included).
MAX_SELECTION = 10_000
NOT_FOUND = "not found, or not one you may see"


@dataclass(frozen=True)
class Action:
    """One bulk action of a list."""

    key: str  # the button's value: "reassign_owner"
    label: str  # the button: "Reassign owner"
    change: str  # what changes, for the confirmation: "owner becomes {value}"
    offered: Callable[[User], bool]  # the role may take this action at all (the button)
    load: Callable[[Session, User, list[int]], Mapping[int, Any]]  # id -> row, scoped
    name: Callable[[Any], str]  # a row as the report names it
    refuse: Callable[[Session, User, Any, Any], str | None]  # why not, or None
    apply: Callable[[Session, User, Any, Any], bool]  # change one row; whether it changed
    unchanged: Callable[[Any, Any], bool] = lambda row, value: False
    value: str | None = None  # the form field the action needs ("owner_id", …)
    # Why the chosen value cannot be used now (a new owner since deactivated), or None.
    value_problem: Callable[[Session, Any], str | None] = lambda session, value: None
    sends_mail: bool = False  # mails leave before the commit (see docs/lists.md)


@dataclass(frozen=True)
class BulkList:
    """A list's bulk actions: its key (the job's params), its nouns, its actions."""

    key: str
    noun: str
    plural: str
    actions: tuple[Action, ...]

    def action(self, key: str) -> Action | None:
        return next((a for a in self.actions if a.key == key), None)

    def offered(self, user: User) -> list[Action]:
        return [a for a in self.actions if a.offered(user)]

    def counted(self, n: int) -> str:
        return f"{n} {self.noun if n == 1 else self.plural}"


@dataclass(frozen=True)
class Item:
    """One selected row, as the check found it."""

    id: int
    name: str
    refusal: str | None = None
    unchanged: bool = False


@dataclass
class Plan:
    """What an action will do to a selection: every row, and the tallies."""

    items: list[Item] = field(default_factory=list)

    @property
    def refused(self) -> list[Item]:
        return [i for i in self.items if i.refusal]

    @property
    def allowed_ids(self) -> list[int]:
        return [i.id for i in self.items if not i.refusal]

    @property
    def changing(self) -> list[Item]:
        return [i for i in self.items if not i.refusal and not i.unchanged]

    @property
    def unchanged(self) -> list[Item]:
        return [i for i in self.items if not i.refusal and i.unchanged]


class Refused(Exception):
    """Something of the selection is refused: nothing was (or may be) written."""

    def __init__(self, refused: Sequence[Item], problem: str | None = None) -> None:
        super().__init__(problem or f"{len(refused)} refused")
        self.refused = list(refused)
        self.problem = problem


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def clean_ids(values: Iterable[Any]) -> list[int]:
    """The selection's ids, once each, in the order given (ints only)."""
    seen: dict[int, None] = {}
    for value in values:
        if isinstance(value, int) and value > 0:
            seen.setdefault(value, None)
    return list(seen)


def _items(session: Session, user: User, action: Action, ids: list[int], value: Any
           ) -> Iterator[tuple[Item, Any]]:
    rows = action.load(session, user, ids)
    for row_id in ids:
        row = rows.get(row_id)
        if row is None:
            yield Item(row_id, f"#{row_id}", NOT_FOUND), None
            continue
        reason = action.refuse(session, user, row, value)
        yield Item(row_id, action.name(row), reason,
                   unchanged=not reason and action.unchanged(row, value)), row


def inspect(session: Session, user: User, action: Action, ids: Sequence[int], value: Any, *,
            progress: Callable[[int], None] | None = None, size: int = CHUNK) -> Plan:
    """What `action` would do to each selected row; reads only. `progress(done)` is
    called after each chunk."""
    plan = Plan()
    for chunk in chunks(ids, size):
        plan.items.extend(item for item, _row in _items(session, user, action, chunk, value))
        if progress is not None:
            progress(len(plan.items))
    return plan


def execute(session: Session, user: User, action: Action, ids: Sequence[int], value: Any, *,
            size: int = CHUNK) -> Plan:
    """Do `action` to every selected row in the caller's transaction (never commits).

    Each row is checked again as it is reached; once one is refused, nothing more is
    changed, the rest is still checked (for the report) and `Refused` is raised with
    every refusal: the caller rolls back, so nothing is written.
    """
    problem = action.value_problem(session, value)
    if problem:
        raise Refused([], problem)
    plan = Plan()
    for chunk in chunks(ids, size):
        for item, row in _items(session, user, action, chunk, value):
            plan.items.append(item)
            if not item.refusal and not plan.refused and not item.unchanged:
                action.apply(session, user, row, value)
        session.flush()
    if plan.refused:
        raise Refused(plan.refused)
    return plan


def report(bulk_list: BulkList, action: Action, plan: Plan, change: str) -> str:
    """The one-line report of a done action: "12 accounts changed (owner becomes …)",
    or "2 people e-mailed (…)" for an action that sends mail and changes no row."""
    done = "e-mailed" if action.sends_mail else "changed"
    text = f"{action.label}: {bulk_list.counted(len(plan.changing))} {done} ({change})"
    if plan.unchanged:
        text += f", {len(plan.unchanged)} already so"
    return text + "."
