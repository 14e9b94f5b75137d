"""One page of a list: the `Page` the `pager` macro renders, and `paginate` to fill it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select


@dataclass
class Page:
    """One page of a list, shaped for `_macros/tables.html` `pager`."""

    items: list[Any]
    number: int
    total: int
    size: int = 25

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (for "21–40 of 95")."""
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.size)


def paginate(session: Session, query: Any, *, number: int, size: int,
             total: int | None = None) -> Page:
    """Run `query` for one page: one COUNT over the filtered query, then one page query.

    A page number past the end shows the last page (a stale bookmark still shows rows).
    `total` skips the COUNT when the caller already has it (from an aggregate it needs
    anyway); it must count exactly the rows `query` returns.
    """
    size = max(1, int(size))
    if total is None:
        total = _count(session, query)
    number = _clamp(number, total, size)
    rows = session.exec(query.limit(size).offset((number - 1) * size)).all()
    return Page(list(rows), number, total, size)


def first_page(session: Session, query: Any, *, size: int) -> Page:
    """The first page of `query` and its total in one statement: a window COUNT over the
    filtered rows rides along with each row (a panel that shows a few rows and "n in
    all"). `query` must be a plain select (no DISTINCT, GROUP BY or LIMIT of its own),
    so that the window counts exactly the rows it returns."""
    size = max(1, int(size))
    rows = session.exec(query.add_columns(sa.func.count().over().label("page_total"))
                        .limit(size)).all()
    total = int(rows[0][-1]) if rows else 0
    return Page([row[:-1] for row in rows], 1, total, size)


def paginate_list(items: list[Any], *, number: int, size: int) -> Page:
    """One page of a list already in memory (same rules as `paginate`)."""
    size = max(1, int(size))
    number = _clamp(number, len(items), size)
    return Page(items[(number - 1) * size:number * size], number, len(items), size)


def paginate_keys(
    session: Session, keys: Any, rows: Callable[[Any], Any], *, number: int, size: int
) -> Page:
    """`paginate` for lists whose rows are wide or joined: sort keys first, then load.

    `keys` selects only the key column, filtered and ordered (ideally from one table,
    so the COUNT and the sort read as little as possible); `rows(page_keys)` returns
    the query that loads the page's rows, joins included, for `page_keys` (a subquery
    of this page's keys, for `column.in_(...)`) and orders them like `keys`. Two
    statements, as with `paginate`: the joins run for one page of rows, not for all.
    """
    size = max(1, int(size))
    total = _count(session, keys)
    number = _clamp(number, total, size)
    page_keys = keys.limit(size).offset((number - 1) * size)
    return Page(list(session.exec(rows(page_keys)).all()), number, total, size)


def _count(session: Session, query: Any) -> int:
    count_query = select(sa.func.count()).select_from(query.order_by(None).subquery())
    return int(session.exec(count_query).one())


def _clamp(number: int, total: int, size: int) -> int:
    """A page number past the end shows the last page (a stale bookmark still shows rows)."""
    return min(max(1, number), max(1, math.ceil(total / size)))
