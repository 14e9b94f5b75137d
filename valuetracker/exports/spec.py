"""What an export is made of: sheets of typed columns and a context saying what to include.

A sheet knows nothing of the file format. The xlsx and csv writers both take the same
`Sheet` objects, so the two formats always hold the same tables and figures.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..quarters import Quarter

# Rows are fetched from the database in batches of this size (server-side cursor on
# PostgreSQL), so an export of a million rows never holds them all in memory.
YIELD_PER = 1000

# Column kinds and what they hold: text (str), int, number (Decimal), score (a number shown
# with one decimal, e.g. NPS), money (Decimal in the reporting currency), percent (a
# fraction 0..1), date, datetime.
KINDS = ("text", "int", "number", "score", "money", "percent", "date", "datetime")

# The one rounding rule of every numeric kind: the decimal places it is shown with. The
# workbook's number formats are built from it (xlsx.py; cells keep the exact value) and
# the CSV files write the value rounded to it (csv_zip.py), so both show the same figure.
# Money and amounts keep two decimals, a score one (NPS +33.3), a percent is a fraction
# shown to 0.1% (0.292 = 29.2%).
PLACES = {"int": 0, "number": 2, "score": 1, "money": 2, "percent": 3}


def rounded(value: int | float | Decimal, kind: str) -> Decimal:
    """A number of a column of `kind` as the export shows it: PLACES[kind] decimals,
    halves away from zero (as a spreadsheet displays them), never `-0.00`."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    result = exact.quantize(Decimal(1).scaleb(-PLACES[kind]), rounding=ROUND_HALF_UP)
    return result if result else abs(result)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    width: int = 14

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


# Columns that several sheets carry, defined once so they read and size the same.
ACCOUNT = Column("Account", "text", 28)
SEGMENT = Column("Segment", "text", 16)
DRIVER = Column("Value driver", "text", 20)
UNIT = Column("Unit", "text", 10)
TITLE = Column("Title", "text", 36)
OWNER = Column("Owner", "text", 20)
OUTCOME = Column("Outcome", "text", 12)
DELIVERED_ON = Column("Delivered on", "date", 12)
SHARED_COLUMNS = {c.header: c for c in (ACCOUNT, SEGMENT, DRIVER, UNIT, TITLE, OWNER, OUTCOME,
                                        DELIVERED_ON)}


@dataclass
class ExportContext:
    """What one export includes: the quarter, whose accounts, in which currency."""

    session: Session
    quarter: Quarter
    currency: str = "USD"
    today: date = field(default_factory=date.today)
    # A function col -> SQL condition limiting an account-id column to the export's
    # accounts (the user's scope, narrowed to the chosen accounts).
    account_filter: Callable[[Any], Any] = lambda col: sa.true()
    # Interview content (factor ratings, quotes) belongs to the win/loss program: account
    # managers cannot read interviews in the app, so their export leaves it out.
    include_interviews: bool = True
    # True when the export covers every account (so app-wide figures apply unchanged).
    all_accounts: bool = True

    def scope(self, account_id_col: Any) -> Any:
        return self.account_filter(account_id_col)

    def account_ids(self) -> Any:
        """The export's accounts as the value module's `account_ids=`: None for every
        account, else a SELECT of their ids."""
        from ..models import Account

        return None if self.all_accounts else select(Account.id).where(self.scope(Account.id))

    def stream(self, statement: Any) -> Iterator[sa.Row[Any]]:
        """Rows of a SELECT, fetched in batches rather than all at once."""
        result = self.session.execute(statement.execution_options(yield_per=YIELD_PER))
        try:
            yield from result
        finally:
            result.close()

    def money_header(self, text: str) -> str:
        return f"{text} ({self.currency})"


def columns(ctx: ExportContext, table: str) -> list[Column]:
    """A sheet's columns, read from a table of one `header | kind | width` line each.

    A line holding a header alone is the shared column of that header (SHARED_COLUMNS),
    so it reads and sizes the same on every sheet. A money column's header names the
    export's currency: `Value | money | 16` is "Value (USD)". Blank lines are skipped.
    """
    result = []
    for line in table.splitlines():
        if not line.strip():
            continue
        header, *spec = (part.strip() for part in line.split("|"))
        if not spec:
            result.append(SHARED_COLUMNS[header])
            continue
        kind, width = spec
        result.append(Column(ctx.money_header(header) if kind == "money" else header, kind,
                             int(width)))
    return result


@dataclass
class Sheet:
    """One table of the export: a name, typed columns, and a generator of rows."""

    name: str
    columns: Sequence[Column]
    rows: Callable[[ExportContext], Iterable[Sequence[Any]]]
    empty_note: str = "Nothing in this quarter."
    # A short explanation written under the table in the web page and docs.
    description: str = ""

    @property
    def filename(self) -> str:
        """The CSV file name inside the zip: "Value delivered" -> value-delivered.csv."""
        from ..models import slugify

        return f"{slugify(self.name)}.csv"


def yes_no(value: Any) -> str | None:
    if value is None:
        return None
    return "Yes" if value else "No"


def temp_path(path: Path) -> Path:
    """A new, unique file beside `path` to write to and then rename over it: two builds
    of the same export (two workers, two hosts sharing REPORTS_DIR) never share one."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)
