"""Win/loss program: deals, interviews, the reason taxonomy and analytics.

Public entry points other areas use are re-exported here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import deal_scope
from ..models import Account, Competitor, Deal, Stakeholder, WinLossInterview
from ..models.winloss import OUTCOMES
from .analytics import (
    GROUPINGS,
    WinRateRow,
    competitor_head_to_head,
    overall_win_rate,
    win_rates,
    win_rates_by_competitor,
    win_rates_by_segment,
)
from .deal_list import list_deals
from .deals import (
    apply_program_rules,
    apply_program_rules_to_deals,
    set_competitors,
)
from .interview_stats import (
    FactorImpactRow,
    factor_impact,
    factor_ratings_for_quarter,
    program_scorecard,
    reason_disagreements,
    top_reasons,
)
from .interviews import interviewee_display
from .quotes import list_quotes, quotes_for_quarter
from .stats import wilson_interval
from .taxonomy import ensure_default_taxonomy

PANEL_LIMIT = 5


def account_overview(session: Session, account: Account) -> dict[str, Any]:
    """Context for the deals panel on the account page (templates/winloss/_account_panel.html).

    Two bounded queries: the latest deals with the counts by outcome, the latest
    interviews.
    """
    # The latest deals, each row carrying the account's counts by outcome (windows
    # over all its deals): one statement for the panel's counts and list.
    by_outcome = [sa.func.sum(sa.case((Deal.outcome == o, 1), else_=0)).over()
                  for o in OUTCOMES]
    deals = session.exec(
        select(Deal, Competitor.name, sa.func.count().over(), *by_outcome)
        .join(Competitor, Competitor.id == Deal.primary_competitor_id, isouter=True)
        .where(Deal.account_id == account.id)
        .order_by(sa.case((Deal.closed_on.is_(None), 0), else_=1), Deal.closed_on.desc(),
                  Deal.id.desc()).limit(PANEL_LIMIT)).all()
    total = int(deals[0][2]) if deals else 0
    counts = ({o: int(n) for o, n in zip(OUTCOMES, deals[0][3:], strict=True) if n}
              if deals else {})
    interviews = session.exec(
        select(WinLossInterview, Deal.name, Stakeholder)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id, isouter=True)
        .where(Deal.account_id == account.id)
        .order_by(WinLossInterview.requested_at.desc()).limit(PANEL_LIMIT)).all()
    won, lost, nd = (int(counts.get(k, 0)) for k in ("won", "lost", "no_decision"))
    row = WinRateRow(account.name, won, lost, nd)
    return {
        "account": account,
        "counts": counts,
        "total": total,
        "win_rate": row,
        "deals": [{"deal": d[0], "competitor": d[1]} for d in deals],
        "interviews": [{"interview": i, "deal": name, "interviewee": interviewee_display(i, s)}
                       for i, name, s in interviews],
    }


__all__ = [
    "GROUPINGS",
    "FactorImpactRow",
    "WinRateRow",
    "account_overview",
    "apply_program_rules",
    "apply_program_rules_to_deals",
    "competitor_head_to_head",
    "deal_scope",
    "ensure_default_taxonomy",
    "factor_impact",
    "factor_ratings_for_quarter",
    "interviewee_display",
    "list_deals",
    "list_quotes",
    "overall_win_rate",
    "program_scorecard",
    "quotes_for_quarter",
    "reason_disagreements",
    "set_competitors",
    "top_reasons",
    "wilson_interval",
    "win_rates",
    "win_rates_by_competitor",
    "win_rates_by_segment",
]
