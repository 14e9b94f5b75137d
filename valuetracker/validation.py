"""The limits a typed or imported value must meet, as plain functions.

The forms (`valuetracker.forms`) and the imports (`valuetracker.imports.reading`) both
call these, so a value the web refuses is refused by an import too, with the same words.
Nothing here knows Flask or the database.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

# Money columns are Numeric(16, 2): 14 digits before the point, 2 after.
MONEY_MAX = Decimal("10000000000000")
MONEY_CENT = Decimal("0.01")
MONEY_NUMBER_MESSAGE = "Enter a number, e.g. 12500 or 12.50."
MONEY_RANGE_MESSAGE = "Enter an amount of 0 or more (at most 10,000,000,000,000)."
MONEY_PLACES_MESSAGE = "Enter at most two decimal places."

# Dates people mean: the same rule for every date typed or imported.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2199, 12, 31)
DATE_RANGE_MESSAGE = "Enter a date between 1900 and 2199."

# Characters that end a line (str.splitlines' list): none may reach a mail header.
LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
SINGLE_LINE_MESSAGE = "Use a single line (no line breaks)."


class FieldError(ValueError):
    """A refused input; nothing was written. `field` names the input it concerns (a form
    field, or the API's field of the same name); `message` says why, as the user reads it.
    Each area's write functions raise their own subclass."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_money(amount: Decimal) -> Decimal:
    """`amount` if it is a real number of 0 or more that fits a money column, else
    ValueError saying what to enter."""
    if not amount.is_finite():
        raise ValueError(MONEY_NUMBER_MESSAGE)
    if amount < 0 or amount > MONEY_MAX:
        raise ValueError(MONEY_RANGE_MESSAGE)
    if amount != amount.quantize(MONEY_CENT):
        raise ValueError(MONEY_PLACES_MESSAGE)
    return amount


def parse_money(text: str) -> Decimal:
    """A typed amount ("12500", "12.5") -> Decimal, or ValueError with the reason.

    Refuses what Decimal would take but a money column cannot hold: NaN, sNaN,
    Infinity, 1e309, negative amounts, more than 14 digits or 2 decimal places.
    """
    s = text.strip()
    if len(s) > 40:  # longer than any amount that fits: no need to parse it
        raise ValueError(MONEY_RANGE_MESSAGE)
    try:
        amount = Decimal(s)
    except (InvalidOperation, ValueError):
        raise ValueError(MONEY_NUMBER_MESSAGE) from None
    return check_money(amount)


def check_date(value: date) -> date:
    """`value` if it lies in the years the app accepts, else ValueError."""
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


def field_date(value: Any, field: str, missing: str, *,
               error: type[FieldError] = FieldError) -> date:
    """`value` if it is a date in the years the app accepts, else `error(field, ...)`:
    `missing` when it is no date at all, the accepted years when it is out of them."""
    if not isinstance(value, date):
        raise error(field, missing)
    try:
        return check_date(value)
    except ValueError as exc:
        raise error(field, str(exc)) from None


def has_line_break(text: str) -> bool:
    return LINE_BREAKS.search(text) is not None


def one_line(text: str) -> str:
    """`text` with every line break (and NUL) folded to a space: safe for a header."""
    return " ".join(LINE_BREAKS.sub(" ", text.replace("\x00", "")).split())


__all__ = ["DATE_MAX", "DATE_MIN", "MONEY_MAX", "check_date", "check_money",
           "has_line_break", "one_line", "parse_money"]
