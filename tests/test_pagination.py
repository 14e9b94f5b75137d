"""`Page` and `paginate`: the numbers the `pager` macro shows."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from valuetracker.models import Account
from valuetracker.pagination import Page, paginate, paginate_keys

from .conftest import sql_statements
from .factories import make_account


def test_page_numbers() -> None:
    page = Page(items=list(range(5)), number=3, total=25, size=10)
    assert (page.pages, page.first_index, page.last_index) == (3, 21, 25)
    empty = Page(items=[], number=1, total=0, size=10)
    assert (empty.pages, empty.first_index, empty.last_index) == (1, 0, 0)


def test_paginate_counts_and_clamps(session: Any, app: Any) -> None:
    for n in range(7):
        make_account(session, f"P{n}")
    session.commit()
    query = select(Account.name).order_by(Account.name)
    page = paginate(session, query, number=2, size=3)
    assert (page.items, page.total, page.pages) == (["P3", "P4", "P5"], 7, 3)
    assert paginate(session, query, number=0, size=3).number == 1
    assert paginate(session, query, number=9, size=3).items == ["P6"]


def test_paginate_with_a_known_total_skips_the_count(session: Any, app: Any) -> None:
    for n in range(7):
        make_account(session, f"P{n}")
    session.commit()
    with sql_statements(session.get_bind()) as statements:
        page = paginate(session, select(Account.name).order_by(Account.name), number=9,
                        size=3, total=7)
    assert (page.items, page.number, page.pages) == (["P6"], 3, 3)
    assert len(statements) == 1 and "count(" not in statements[0].lower()


def test_paginate_keys_sorts_keys_then_loads_one_page(session: Any, app: Any) -> None:
    for n in range(7):
        make_account(session, f"P{n}")
    session.commit()
    keys = select(Account.id).where(Account.name.startswith("P")).order_by(Account.name.desc())

    def rows(page_ids: Any) -> Any:
        return (select(Account.name).where(Account.id.in_(page_ids))
                .order_by(Account.name.desc()))

    page = paginate_keys(session, keys, rows, number=2, size=3)
    assert (page.items, page.number, page.total, page.pages) == (["P3", "P2", "P1"], 2, 7, 3)
    assert paginate_keys(session, keys, rows, number=0, size=3).items == ["P6", "P5", "P4"]
    assert paginate_keys(session, keys, rows, number=9, size=3).items == ["P0"]
    empty = paginate_keys(session, keys.where(Account.id < 0), rows, number=3, size=3)
    assert (empty.items, empty.number, empty.total) == ([], 1, 0)
