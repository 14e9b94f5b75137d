"""PDF value summaries: data, rendering, generation jobs, sending and coverage."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..models import Account


def account_overview(session: Session, account: Account) -> dict[str, Any]:
    """Context for the summaries panel on the account page."""
    return {}
