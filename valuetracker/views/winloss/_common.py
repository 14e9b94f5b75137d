"""The win/loss blueprint and helpers its view modules share."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, request

from ...db import MAX_ID, id_arg

bp = Blueprint("winloss", __name__)

PROGRAM_READERS = ("analyst", "leader", "admin")
DEAL_EDITORS = ("account_manager", "analyst", "admin")


def _page_arg() -> int:
    # Capped so a huge ?page= cannot overflow the database's OFFSET.
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_ID)


def _id_arg(name: str) -> int | None:
    """An id filter from the query string; None when absent, not a number or out of range."""
    return id_arg(request.args.get(name))


def _date_arg(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        flash(f"'{value}' is not a date (use YYYY-MM-DD); ignored.", "warning")
        return None


