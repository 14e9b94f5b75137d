"""listing.py on its own: reading a list's sort and filters from a query string (what is
kept, what is ignored and the note saying so) and the CSV cells."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from valuetracker import listing
from valuetracker.listing import AMOUNT, DATE, ID, TEXT, YES_NO, Filter, ListSpec, Sort

SPEC = ListSpec(
    endpoint="x.list", title="Things",
    sorts={"name": Sort("Name", (sa.column("name"),)),
           "size": Sort("Size", (sa.column("size"),), nulls_last=True)},
    default_sort="name",
    filters=(Filter("q", "Search", TEXT), Filter("colour", "Colour"),
             Filter("big", "Big", YES_NO), Filter("since", "Since", DATE),
             Filter("min", "Minimum", AMOUNT), Filter("owner", "Owner", ID)),
)


def _read(args: dict[str, str]) -> listing.ListState:
    return listing.read_state(SPEC, args, {"colour": ["red", "blue"]})


def test_values_kept_parsed_and_in_the_links() -> None:
    state = _read({"q": "  acme ", "colour": "red", "big": "no", "since": "2026-07-01",
                   "min": "1,250.50", "owner": "7", "sort": "-size", "page": "3"})
    assert state.notes == []
    assert state.sort == "-size"
    assert state.values == {"q": "acme", "colour": "red", "big": False,
                            "since": date(2026, 7, 1), "min": Decimal("1250.50"), "owner": 7}
    assert state.args == {"q": "acme", "colour": "red", "big": "no", "since": "2026-07-01",
                          "min": "1,250.50", "owner": "7"}
    assert state.csv_args == dict(state.args, sort="-size", format="csv")
    assert [str(c) for c in SPEC.order_by("-size")] == ["size DESC NULLS LAST"]


def test_every_ignored_value_has_its_note() -> None:
    state = _read({"sort": "-margin", "colour": "green", "big": "maybe", "since": "2026-02-30",
                   "min": "1e400", "owner": "x" * 60, "shape": "round"})
    assert state.sort == "name" and state.values == {} and state.args == {}
    assert state.notes == [
        "Sorting by “-margin” isn't available; sorted by name.",
        "“green” isn't a value of the colour filter; ignored.",
        "“maybe” isn't a value of the big filter; ignored.",
        "“2026-02-30” isn't a date (use YYYY-MM-DD); the since filter is ignored.",
        "“1e400” isn't an amount; the minimum filter is ignored.",
        "“" + "x" * 40 + "…” isn't a value of the owner filter; ignored.",
        "There is no filter “shape” on this list; ignored.",
    ]
    assert _read({"min": "NaN"}).notes == [
        "“NaN” isn't an amount; the minimum filter is ignored."]


def test_empty_arguments_are_no_filter_and_text_is_cut() -> None:
    state = _read({"q": "", "colour": " ", "sort": ""})
    assert (state.notes, state.values, state.sort) == ([], {}, "name")
    assert len(_read({"q": "a" * 500}).values["q"]) == listing.TEXT_MAX


def test_csv_cells() -> None:
    cells: list[Any] = [None, True, False, 3, Decimal("-5.00"), date(2026, 1, 2),
                        datetime(2026, 1, 2, 9, 30), "=1+1", "+x", "-y", "@z", "plain"]
    assert [listing.csv_cell(v) for v in cells] == [
        "", "yes", "no", "3", "-5.00", "2026-01-02", "2026-01-02", "'=1+1", "'+x", "'-y",
        "'@z", "plain"]
    text = listing.csv_document(["A", "=B"], [["x,y", 'say "hi"']])
    assert text == 'A,\'=B\r\n"x,y","say ""hi"""\r\n'
