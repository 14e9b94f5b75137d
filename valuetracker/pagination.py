"""One page of a list: the `Page` the `pager` macro renders, and `paginate` to fill it."""

from __future__ import annotations

import math
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
        count_query = select(sa.func.count()).select_from(query.order_by(None).subquery())
        total = int(session.exec(count_query).one())
    pages = max(1, math.ceil(total / size))
    number = min(max(1, number), pages)
    rows = session.exec(query.limit(size).offset((number - 1) * size)).all()
    return Page(list(rows), number, total, size)


def paginate_list(items: list[Any], *, number: int, size: int) -> Page:
    """One page of a list already in memory (same rules as `paginate`)."""
    size = max(1, int(size))
    pages = max(1, math.ceil(len(items) / size))
    number = min(max(1, number), pages)
    return Page(items[(number - 1) * size:number * size], number, len(items), size)
