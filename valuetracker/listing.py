"""List state in the URL: one sort key and the filters of a list, each list declaring its
allowed sorts and filters once (a `ListSpec`), read from the query string into a
`ListState`, and the list's CSV download.

- `?sort=name` sorts ascending, `?sort=-name` descending. A sort the list does not offer
  falls back to the list's default, with a note shown on the page ("Sorting by “margin”
  isn't available; sorted by name.").
- Each filter is a query-string argument of a known kind (a choice among allowed values,
  a yes/no, a date, an amount, free text). A value that cannot be used is ignored, with
  a note; never silently.
- `?format=csv` on the same URL downloads every matching row (not one page) as CSV, one
  row per item after a header row, every text cell made formula-safe
  (`exports.safety.csv_text`).

Nothing here knows HTTP beyond reading a mapping of arguments; the views pass
`request.args` and render `state.notes` with the `list_notes` macro.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .db import id_arg as db_id

# Kinds of filter.
CHOICE = "choice"  # one of the allowed values (given when the state is read)
YES_NO = "yes_no"  # "yes" or "no"
DATE = "date"  # YYYY-MM-DD
AMOUNT = "amount"  # a number, e.g. 5000 or 1250.50
TEXT = "text"  # free text (a search), cut to 100 characters
ID = "id"  # a row id (the list's own query scopes it)

YES_NO_CHOICES = {"yes": "Yes", "no": "No"}
# Arguments that are never a filter: the page, the download format, the sort.
NOT_FILTERS = ("page", "format", "sort")
TEXT_MAX = 100


@dataclass(frozen=True)
class Sort:
    """One sort key of a list: its label, and the SQL column(s) it orders by."""

    label: str
    columns: tuple[Any, ...]
    nulls_last: bool = False  # rows without the value go last in both directions


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    kind: str = CHOICE


@dataclass(frozen=True)
class ListSpec:
    """What one list may be sorted and filtered by: the one place a list declares it."""

    endpoint: str
    title: str  # "Deals": the name of saved views' list, and of the CSV file
    sorts: Mapping[str, Sort]
    default_sort: str  # a key of `sorts`, with a leading "-" for descending
    filters: tuple[Filter, ...] = ()
    tie_breaks: tuple[Any, ...] = ()

    def filter(self, name: str) -> Filter:
        return next(f for f in self.filters if f.name == name)

    def order_by(self, sort: str) -> list[Any]:
        """ORDER BY of a sort key the state accepted (`ListState.sort`)."""
        key = sort.removeprefix("-")
        chosen = self.sorts[key]
        descending = sort.startswith("-")
        order = []
        for column in chosen.columns:
            ordered = column.desc() if descending else column.asc()
            order.append(ordered.nulls_last() if chosen.nulls_last else ordered)
        return [*order, *self.tie_breaks]


@dataclass
class ListState:
    """A list's sort and filters as read from the URL, and the notes on what was ignored.

    `values` holds the filters in use, parsed (a date, a Decimal, a bool, the chosen
    text); `args` the same as query-string text, to build the list's links (pages,
    sort headers, the CSV link) without the values that were ignored.
    """

    spec: ListSpec
    sort: str
    values: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @property
    def sort_args(self) -> dict[str, str]:
        """`args` with the sort (for pages and the CSV link)."""
        return dict(self.args, sort=self.sort)

    @property
    def csv_args(self) -> dict[str, str]:
        return dict(self.sort_args, format="csv")


def wants_csv(args: Mapping[str, str]) -> bool:
    return args.get("format", "") == "csv"


def read_state(spec: ListSpec, args: Mapping[str, str],
               choices: Mapping[str, Iterable[str]] | None = None) -> ListState:
    """The list's state from query-string `args`.

    `choices` gives, per CHOICE filter, the values it accepts (those offered by the
    page's select). An unknown sort, an unknown choice, a bad date or amount is left out
    of the state and explained in `notes`.
    """
    choices = choices or {}
    sort_text = (args.get("sort") or "").strip()
    default_label = _sort_phrase(spec, spec.default_sort)
    state = ListState(spec=spec, sort=spec.default_sort)
    if sort_text:
        if sort_text.removeprefix("-") in spec.sorts:
            state.sort = sort_text
        else:
            state.notes.append(f"Sorting by “{_shown(sort_text)}” isn't available; "
                               f"sorted by {default_label}.")
    for flt in spec.filters:
        text = (args.get(flt.name) or "").strip()
        if not text:
            continue
        value, problem = _parse(flt, text, choices.get(flt.name))
        if problem:
            state.notes.append(problem)
            continue
        state.values[flt.name] = value
        state.args[flt.name] = text if flt.kind != TEXT else value
    known = {f.name for f in spec.filters} | set(NOT_FILTERS)
    for name in args:
        if name not in known:
            state.notes.append(f"There is no filter “{_shown(name)}” on this list; ignored.")
    return state


def _sort_phrase(spec: ListSpec, sort: str) -> str:
    text = spec.sorts[sort.removeprefix("-")].label.lower()
    return f"{text}, descending" if sort.startswith("-") else text


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def _parse(flt: Filter, text: str, allowed: Iterable[str] | None) -> tuple[Any, str | None]:
    """(value, None) or (None, the note saying why the value is ignored)."""
    ignored = f"“{_shown(text)}” isn't a value of the {flt.label.lower()} filter; ignored."
    if flt.kind == TEXT:
        return text[:TEXT_MAX], None
    if flt.kind == YES_NO:
        return (text == "yes", None) if text in YES_NO_CHOICES else (None, ignored)
    if flt.kind == ID:
        number = db_id(text)
        return (number, None) if number is not None else (None, ignored)
    if flt.kind == DATE:
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, (f"“{_shown(text)}” isn't a date (use YYYY-MM-DD); the "
                          f"{flt.label.lower()} filter is ignored.")
    if flt.kind == AMOUNT:
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or abs(amount) >= Decimal("1e15"):
            return None, (f"“{_shown(text)}” isn't an amount; the "
                          f"{flt.label.lower()} filter is ignored.")
        return amount, None
    if allowed is not None and text in set(allowed):
        return text, None
    return None, ignored


# --- CSV --------------------------------------------------------------------------------


def csv_text(value: str) -> str:
    """The exports' formula-safety rule (`exports.safety.csv_text`), imported when used:
    the exports package imports the areas whose lists use this module."""
    from .exports.safety import csv_text as safe

    return safe(value)


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as numbers, dates as YYYY-MM-DD, yes/no, text formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return csv_text(str(value))


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV file: the header row, then one row per item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


@dataclass(frozen=True)
class Column:
    """One column of a list's CSV: its header and how to read it from a row."""

    header: str
    read: Callable[[Any], Any]


def csv_rows(columns: Sequence[Column], rows: Iterable[Any]) -> str:
    return csv_document([c.header for c in columns],
                        ([c.read(row) for c in columns] for row in rows))


def csv_filename(spec: ListSpec, today: date | None = None) -> str:
    day = (today or date.today()).isoformat()
    return f"{spec.title.lower().replace(' ', '-')}-{day}.csv"
