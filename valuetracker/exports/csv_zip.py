"""Write the same sheets as CSV files (UTF-8 with BOM, so Excel reads accents) in one zip.

Each sheet becomes `<sheet-slug>.csv`, streamed row by row into the zip entry, so memory
stays flat. Numbers are plain and rounded as the workbook shows them (spec.PLACES: money
`1234.50`, a score `-33.3`, percentages as fractions `0.292`), dates ISO 8601, and text
that a spreadsheet could take for a formula is prefixed with `'` (safety.py).
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .safety import csv_text
from .spec import PLACES, ExportContext, Sheet, rounded, temp_path
from .xlsx import Progress


def csv_value(value: Any, kind: str = "text") -> str:
    """One cell of a column of `kind` as CSV text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind in PLACES and isinstance(value, (int, float, Decimal)):
        return str(rounded(value, kind))
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return csv_text(str(value))


def write_zip(path: Path, sheets: Sequence[Sheet], ctx: ExportContext, *,
              progress: Progress | None = None) -> dict[str, int]:
    """Write one CSV per sheet into the zip at `path` (atomically). Rows per sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    counts: dict[str, int] = {}
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, sheet in enumerate(sheets):
                with archive.open(sheet.filename, "w") as raw, \
                        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                    counts[sheet.name] = _write_csv(text, sheet, ctx)
                if progress is not None:
                    progress(index + 1, len(sheets), sheet.name)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return counts


def _write_csv(stream: io.TextIOWrapper, sheet: Sheet, ctx: ExportContext) -> int:
    writer = csv.writer(stream)
    writer.writerow([csv_text(column.header) for column in sheet.columns])
    kinds = [column.kind for column in sheet.columns]
    count = 0
    for values in sheet.rows(ctx):
        writer.writerow([csv_value(v, kind) for v, kind in zip(values, kinds, strict=True)])
        count += 1
    if count == 0:
        writer.writerow([csv_text(sheet.empty_note)])
    return count
