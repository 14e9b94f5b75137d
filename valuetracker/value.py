"""Value delivery: figures and rules (value log, confirmations, commitments, pulses)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .models import Account


def account_overview(session: Session, account: Account) -> dict[str, Any]:
    """Context for the value panel on the account page (templates/value/_account_panel.html)."""
    return {}
