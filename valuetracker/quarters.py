"""Fiscal quarters, written `2026-Q3`.

Q1 of fiscal year Y starts on the first day of the fiscal start month in calendar
year Y (default January, so quarters are calendar quarters). With April as the
start month, `2026-Q1` is April-June 2026 and `2026-Q4` is January-March 2027.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


class QuarterError(ValueError):
    """A quarter string that is not of the form 2026-Q3."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int
    start_month: int = 1

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        months = (self.start_month - 1) + 3 * (self.number - 1)
        return date(self.year + months // 12, months % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def year_start(self) -> date:
        """The first day of this quarter's fiscal year (for year-to-date figures)."""
        return Quarter(self.year, 1, self.start_month).start

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1, self.start_month)
        return Quarter(self.year, self.number + 1, self.start_month)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4, self.start_month)
        return Quarter(self.year, self.number - 1, self.start_month)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def last(self, count: int) -> list[Quarter]:
        """The `count` quarters ending with this one, oldest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.append(quarters[-1].previous())
        return list(reversed(quarters))


def parse_quarter(text: str, start_month: int = 1) -> Quarter:
    """`"2026-Q3"` -> Quarter; raises QuarterError with a message a user can act on."""
    match = _QUARTER_RE.match(text or "")
    if not match:
        raise QuarterError(f"'{text}' is not a quarter; write it like 2026-Q3.")
    year = int(match.group(1))
    if not 1900 <= year <= 2200:
        raise QuarterError(f"'{text}' is not a plausible year.")
    return Quarter(year, int(match.group(2)), start_month)


def quarter_of(day: date, start_month: int = 1) -> Quarter:
    months = (day.month - start_month) % 12
    fiscal_year = day.year if day.month >= start_month else day.year - 1
    return Quarter(fiscal_year, months // 3 + 1, start_month)


def current_quarter(start_month: int = 1, today: date | None = None) -> Quarter:
    return quarter_of(today or date.today(), start_month)


def quarter_case(column: Any, quarters: list[Quarter]) -> Any:
    """A SQL CASE giving each row's quarter label, for GROUP BY across dialects."""
    return sa.case(
        *[(column.between(q.start, q.end), q.label) for q in quarters],
        else_=None,
    )


def app_start_month() -> int:
    """The fiscal start month of the running app."""
    from flask import current_app

    return int(current_app.config.get("FISCAL_YEAR_START_MONTH", 1))
