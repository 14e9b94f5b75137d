"""Write sheets to an .xlsx workbook with XlsxWriter in constant-memory mode.

Constant-memory mode flushes each row to a temporary file as soon as the next row starts,
so memory stays flat however many rows a sheet has (rows must be written in order, which
the streaming row generators do). Every cell is written with the typed `write_*` method of
its column kind; text always goes through `write_string` (see safety.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .safety import xlsx_text
from .spec import PLACES, ExportContext, Sheet, temp_path

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

Progress = Callable[[int, int, str], None]


def _digits(places: int) -> str:
    """The decimals of an Excel number format: 2 -> ".00", 0 -> ""."""
    return "." + "0" * places if places > 0 else ""


def money_format(currency: str) -> str:
    """An Excel number format showing amounts in the reporting currency."""
    amount = "#,##0" + _digits(PLACES["money"])
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f'"{symbol}"{amount};-"{symbol}"{amount}'
    return f'{amount} "{currency}";-{amount} "{currency}"'


def number_formats(currency: str) -> dict[str, str]:
    """Each numeric column kind's Excel number format, from the export's rounding rule
    (spec.PLACES), so the workbook shows what the CSV files write."""
    return {
        "int": "0" + _digits(PLACES["int"]),
        "number": "#,##0" + _digits(PLACES["number"]),
        "score": "0" + _digits(PLACES["score"]),
        "money": money_format(currency),
        "percent": "0" + _digits(PLACES["percent"] - 2) + "%",
    }


def write_workbook(path: Path, sheets: Sequence[Sheet], ctx: ExportContext, *,
                   progress: Progress | None = None) -> dict[str, int]:
    """Write `sheets` to `path` (atomically: a temp file renamed at the end).

    Returns the number of data rows written per sheet.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    workbook = xlsxwriter.Workbook(str(temp), {
        "constant_memory": True,
        # Belt and braces: even write() would not turn strings into formulas or links.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "remove_timezone": True,
        "tmpdir": str(path.parent),
    })
    workbook.set_properties({"title": f"Quarterly review {ctx.quarter.label}",
                             "subject": "valuetracker quarterly review export"})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8ECF4", "bottom": 1,
                                       "text_wrap": True, "valign": "top"}),
        "text": None,
        **{kind: workbook.add_format({"num_format": num_format})
           for kind, num_format in number_formats(ctx.currency).items()},
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "note": workbook.add_format({"italic": True, "font_color": "#6B7280"}),
    }
    counts: dict[str, int] = {}
    try:
        for index, sheet in enumerate(sheets):
            counts[sheet.name] = _write_sheet(workbook.add_worksheet(sheet.name), sheet, ctx,
                                              formats)
            if progress is not None:
                progress(index + 1, len(sheets), sheet.name)
        workbook.close()
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return counts


def _write_sheet(ws: Worksheet, sheet: Sheet, ctx: ExportContext,
                 formats: dict[str, Any]) -> int:
    columns = sheet.columns
    ws.set_row(0, 32)  # room for two-line headers (they wrap)
    for col, column in enumerate(columns):
        ws.set_column(col, col, column.width, formats[column.kind])
        ws.write_string(0, col, column.header, formats["header"])
    ws.freeze_panes(1, 0)
    kinds = [column.kind for column in columns]
    row = 0
    for values in sheet.rows(ctx):
        row += 1
        for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
            _write_cell(ws, row, col, kind, value, formats)
    if row == 0:
        ws.write_string(1, 0, sheet.empty_note, formats["note"])
    ws.autofilter(0, 0, max(row, 1), len(columns) - 1)
    return row


def _write_cell(ws: Worksheet, row: int, col: int, kind: str, value: Any,
                formats: dict[str, Any]) -> None:
    if value is None or value == "":
        return  # an empty cell; the column format applies if someone types in it
    if isinstance(value, str):
        ws.write_string(row, col, xlsx_text(value), formats[kind])
    elif isinstance(value, bool):
        ws.write_string(row, col, "Yes" if value else "No", formats[kind])
    elif isinstance(value, (int, float, Decimal)):
        ws.write_number(row, col, float(value), formats[kind])
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(row, col, value, formats[kind])
    else:
        ws.write_string(row, col, xlsx_text(str(value)), formats[kind])
