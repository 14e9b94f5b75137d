"""PDF value summaries: data, rendering, generation jobs, sending and coverage."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..models import Account, Stakeholder, ValueSummary
from ..quarters import Quarter, app_start_month, current_quarter


def account_overview(session: Session, account: Account, *,
                     quarter: Quarter | None = None) -> dict[str, Any]:
    """Context for the summaries panel on the account page: the quarter's coverage and PDFs,
    by default the current quarter's (as the rest of the account page and its summaries
    page)."""
    from .coverage import account_coverage

    if quarter is None:
        quarter = current_quarter(app_start_month())
    figure = account_coverage(session, account, quarter)
    rows = session.exec(
        select(ValueSummary.id, ValueSummary.variant, Stakeholder.name)
        .join(Stakeholder, Stakeholder.id == ValueSummary.stakeholder_id, isouter=True)
        .where(ValueSummary.account_id == account.id, ValueSummary.quarter == quarter.label)
        .order_by(ValueSummary.variant, Stakeholder.name)
    ).all()
    return {
        "quarter": quarter.label,
        "slug": account.slug,
        "rate": figure.rate,
        "sent": figure.sent,
        "eligible": figure.eligible,
        "summaries": [{"id": i, "label": name if variant == "stakeholder"
                       else "Internal account review"} for i, variant, name in rows],
    }
