"""What the kind modules share: parsed rows, the plan of changes, the importing user's
scope, and bulk lookups (one query per referenced table, never one per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Account, User
from .reading import Columns, RowError

# IN lists are cut into chunks so SQLite's bound-parameter limit is never reached.
CHUNK = 2000


@dataclass
class Row:
    """One data row: its number in the file, raw cells, and parsed field values."""

    number: int
    cells: list[str]
    values: dict[str, Any]

    def has(self, name: str) -> bool:
        """The file has a column for this field (absent columns leave fields alone)."""
        return name in self.values


@dataclass
class Item:
    """A valid row and what it will do: create, update or leave unchanged."""

    row: Row
    obj: Any | None
    data: dict[str, Any]
    action: str = "create"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Context:
    """Who imports (None: the CLI's system user, unscoped) and how columns are named."""

    actor: User | None
    editable_account_ids: set[int] | None
    headers: list[str]
    columns: Columns
    now: datetime

    def col(self, name: str) -> str:
        """The file's header for a field, for error messages."""
        return self.columns.header(self.headers, name)

    def may_edit(self, account_id: int | None) -> bool:
        return self.editable_account_ids is None or account_id in self.editable_account_ids


class RowErrors(list[RowError]):
    """The problems found on one row of the file; `add` names the column as the file
    spells it (`Context.col`), so the message points at the cell to fix."""

    def __init__(self, ctx: Context, row: Row) -> None:
        super().__init__()
        self._ctx = ctx
        self._row = row

    def add(self, column: str, reason: str) -> None:
        self.append(RowError(self._row.number, self._ctx.col(column), reason))


class FirstRows:
    """The row on which each key first appeared in the file, to refuse a repeat."""

    def __init__(self) -> None:
        self._first: dict[Any, int] = {}

    def earlier(self, k: Any, row: Row) -> int | None:
        """The earlier row that carried `k`, or None (`row` is then its first)."""
        first = self._first.setdefault(k, row.number)
        return None if first == row.number else first


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def key(text: str | None) -> str:
    """Names and emails compared case- and space-insensitively."""
    return " ".join((text or "").split()).casefold()


class AccountIndex:
    """Every account by external id and by name (one query) for resolving references."""

    def __init__(self, session: Session):
        rows = session.exec(select(Account.id, Account.name, Account.external_id)).all()
        self.by_external: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, tuple[int, str]] = {}
        for account_id, name, external_id in rows:
            if external_id:
                self.by_external[key(external_id)] = (account_id, name)
            self.by_name[key(name)] = (account_id, name)

    def find(self, ref: str) -> tuple[int, str] | None:
        """(id, name) of the account named or identified by `ref` (external id first)."""
        k = key(ref)
        return self.by_external.get(k) or self.by_name.get(k)


class UserIndex:
    """Every user by email and by name (one query)."""

    def __init__(self, session: Session):
        users = session.exec(select(User.id, User.email, User.name)).all()
        self.by_email = {key(email): user_id for user_id, email, _ in users}
        by_name: dict[str, list[int]] = {}
        for user_id, _, name in users:
            by_name.setdefault(key(name), []).append(user_id)
        self.by_name = by_name

    def find(self, ref: str) -> int | None:
        """A user id by email, or by name when exactly one user has it."""
        k = key(ref)
        if k in self.by_email:
            return self.by_email[k]
        ids = self.by_name.get(k, [])
        return ids[0] if len(ids) == 1 else None


class Owners:
    """Resolves an owner cell: the user it names (e-mail, or a name only one user has),
    else the rep's name kept as written. A name already kept on another row of `model`
    (or earlier in the file) in another case or spacing is kept in that first spelling,
    so "dana sales" and "Dana Sales" stay one owner."""

    def __init__(self, session: Session, model: Any):
        self.users = UserIndex(session)
        self.kept: dict[str, str] = {}
        names = session.exec(select(model.owner_name).where(model.owner_name.is_not(None))
                             .distinct()).all()
        for name in sorted(names):
            self.kept.setdefault(key(name), name)

    def find(self, ref: str | None) -> tuple[int | None, str | None]:
        """(owner_id, owner_name); (None, None) for an empty cell."""
        if not ref:
            return None, None
        user_id = self.users.find(ref)
        if user_id is not None:
            return user_id, None
        return None, self.kept.setdefault(key(ref), " ".join(ref.split()))


def load_where_in(session: Session, model: Any, column: Any, values: Sequence[Any],
                  *extra: Any) -> list[Any]:
    """Rows of `model` whose `column` is in `values`, in chunked IN queries."""
    found: list[Any] = []
    for batch in chunks(sorted(set(values), key=str)):
        found.extend(session.exec(select(model).where(column.in_(batch), *extra)).all())
    return found


def editable_account_ids(session: Session, user: User) -> set[int] | None:
    """The accounts `user` may change (None: all of them, for admins)."""
    from ..access import account_scope, edits_every_account, may_edit_accounts

    if edits_every_account(user):
        return None
    if not may_edit_accounts(user):
        return set()
    return set(session.exec(select(Account.id).where(account_scope(user))).all())


def differs(obj: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of `data` whose value differs from `obj`'s."""
    return {k: v for k, v in data.items() if getattr(obj, k) != v}


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT many rows in batches (no ORM object per row) and return their new ids, in order.

    Rows are grouped by their set of keys so column defaults still apply to the keys a
    row leaves out.
    """
    ids: list[int | None] = [None] * len(rows)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(sorted(row)), []).append(i)
    for positions in groups.values():
        statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
        for batch in chunks(positions):
            result = session.execute(statement, [rows[i] for i in batch])
            for i, new_id in zip(batch, result.scalars().all(), strict=True):
                ids[i] = new_id
    return ids  # type: ignore[return-value]


def write_items(session: Session, result: Plan, ctx: Context, model: Any) -> list[Item]:
    """Apply the planned updates, then INSERT the planned creates in batches.

    An updated row gets `updated_at` = now and, when the model has optimistic locking,
    its `version` bumped (so a form opened before the import reports a conflict).
    Every item with a row, created, updated or unchanged, gets `extra["id"]`; returns
    the created items.
    """
    for item in result.items:
        if item.obj is not None:
            item.extra["id"] = item.obj.id
        if item.action == "update":
            for name, value in item.data.items():
                setattr(item.obj, name, value)
            if hasattr(item.obj, "version"):
                item.obj.version += 1
            item.obj.updated_at = ctx.now
    session.flush()
    created = [item for item in result.items if item.action == "create"]
    new_ids = insert_rows(session, model, [item.data for item in created])
    for item, new_id in zip(created, new_ids, strict=True):
        item.extra["id"] = new_id
    return created
