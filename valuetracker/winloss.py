"""Win/loss program: deals, interviews, analytics."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .models import Account


def account_overview(session: Session, account: Account) -> dict[str, Any]:
    """Context for the deals panel on the account page (templates/winloss/_account_panel.html)."""
    return {}
