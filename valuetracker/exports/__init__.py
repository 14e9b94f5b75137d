"""Quarterly review exports: one xlsx workbook (or a zip of CSV files) per quarter.

The export code knows nothing of HTTP: the CLI (`valuetracker export quarter`), the web
page and the benchmark all call `build_quarter_export`.

Sheets, in order: Summary, Value delivered, Commitments, Stakeholder coverage, Deals,
Win-loss, Reasons, Loyalty. ("Win/loss" would be the natural name, but Excel forbids `/`
in sheet names.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import account_scope, reads_winloss_program, sees_all_accounts
from ..models import Account, User
from ..quarters import Quarter
from .csv_zip import write_zip
from .figures import figure_sheets
from .sheets import listing_sheets
from .spec import Column, ExportContext, Sheet
from .xlsx import Progress, write_workbook

SHEET_NAMES = ("Summary", "Value delivered", "Commitments", "Stakeholder coverage", "Deals",
               "Win-loss", "Reasons", "Loyalty")
FORMATS = ("xlsx", "csv")
EXTENSIONS = {"xlsx": "xlsx", "csv": "zip"}


class ExportError(ValueError):
    """A request for an export that cannot be made (unknown format or account)."""


@dataclass
class ExportResult:
    path: Path
    format: str
    quarter: str
    rows: dict[str, int] = field(default_factory=dict)


def export_filename(quarter: Quarter, fmt: str = "xlsx") -> str:
    """quarterly-review-2026-Q3.xlsx (or .zip for the CSV files)."""
    return f"quarterly-review-{quarter.label}.{EXTENSIONS[fmt]}"


def default_path(reports_dir: str | Path, quarter: Quarter, fmt: str = "xlsx") -> Path:
    """REPORTS_DIR/<quarter>/quarterly-review-<quarter>.xlsx"""
    return Path(reports_dir) / quarter.label / export_filename(quarter, fmt)


def resolve_accounts(session: Session, slugs: Sequence[str], *,
                     user: User | None = None) -> list[int]:
    """Account ids for slugs, within the user's scope; ExportError names any unknown slug.

    An account outside the user's scope is reported as unknown, like a 404.
    """
    wanted = [s.strip().lower() for s in slugs if s and s.strip()]
    if not wanted:
        return []
    condition = account_scope(user, Account.id) if user is not None else sa.true()
    found = dict(session.execute(
        select(Account.slug, Account.id).where(Account.slug.in_(wanted), condition)
    ).all())
    missing = [s for s in wanted if s not in found]
    if missing:
        raise ExportError(f"Unknown account: {', '.join(missing)}.")
    return [found[s] for s in dict.fromkeys(wanted)]


def account_filter(user: User | None, account_ids: Sequence[int] | None) -> Any:
    """col -> SQL condition: the user's scope (none for the CLI), narrowed to account_ids."""
    ids = list(account_ids or [])

    def condition(col: Any) -> Any:
        parts = []
        if user is not None:
            parts.append(account_scope(user, col))
        if ids:
            parts.append(col.in_(ids))
        return sa.and_(*parts) if parts else sa.true()

    return condition


def quarter_sheets(ctx: ExportContext) -> list[Sheet]:
    """The review's sheets in their fixed order."""
    available = {**figure_sheets(ctx), **listing_sheets(ctx)}
    return [available[name] for name in SHEET_NAMES]


def build_quarter_export(
    session: Session,
    *,
    quarter: Quarter,
    path: str | Path,
    fmt: str = "xlsx",
    user: User | None = None,
    account_ids: Sequence[int] | None = None,
    currency: str = "USD",
    today: date | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the quarter's review to `path` and return what was written.

    `user` limits every sheet to the accounts that user may see (None = every account,
    for the CLI); `account_ids` narrows further. The session is only read from.
    `progress(done, total, sheet_name)` is called after each sheet.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown format {fmt!r}; choose xlsx or csv.")
    ctx = ExportContext(session=session, quarter=quarter, currency=currency,
                        today=today or date.today(),
                        account_filter=account_filter(user, account_ids),
                        # Interviews only for those who read them in the app too.
                        include_interviews=user is None or reads_winloss_program(user),
                        all_accounts=(user is None or sees_all_accounts(user))
                        and not account_ids)
    sheets = quarter_sheets(ctx)
    target = Path(path)
    writer = write_workbook if fmt == "xlsx" else write_zip
    rows = writer(target, sheets, ctx, progress=progress)
    return ExportResult(path=target, format=fmt, quarter=quarter.label, rows=rows)


__all__ = [
    "SHEET_NAMES",
    "FORMATS",
    "Column",
    "ExportContext",
    "ExportError",
    "ExportResult",
    "Sheet",
    "build_quarter_export",
    "default_path",
    "export_filename",
    "quarter_sheets",
    "resolve_accounts",
]
