"""The portfolio: most valuable customers, margin tiers, value migration, accounts at risk.

Leaders, analysts and admins see every account; account managers see their own.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlmodel import select

from .. import charts
from .. import value as domain
from ..access import account_scope
from ..db import get_session
from ..models import DRIVERS, Account, label
from ..quarters import app_start_month, current_quarter

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")


@bp.route("")
@login_required
def index() -> str:
    session = get_session()
    account_ids = select(Account.id).where(account_scope(current_user))
    segments = domain.segments(session, account_ids=account_ids)
    segment = request.args.get("segment") or None
    if segment not in segments:
        segment = None
    quarters = current_quarter(app_start_month()).last(4)
    tiers = domain.margin_tiers(session, account_ids=account_ids)
    migration = domain.value_migration(session, quarters=quarters, account_ids=account_ids,
                                       segment=segment)
    drift = domain.priority_drift(session, quarters=quarters, account_ids=account_ids,
                                  segment=segment)
    latest = quarters[-1].label
    migration_charts = [
        (m.segment, charts.stacked_bar_chart(
            [q.label for q in quarters],
            [(label(d), [m.quarters[q.label][d].amount for q in quarters]) for d in DRIVERS],
            title=f"Value by driver, {m.segment}"),
         charts.bar_chart(
            [(label(d), float((m.quarters[latest][d].change or 0) * 100)) for d in DRIVERS],
            title=f"Change in driver share, {m.segment}, {latest}", signed=True,
            value_format="{} pts"))
        for m in migration
    ]
    drift_chart = charts.bar_chart(
        [(label(d), float(drift[latest][d].first_place_share or 0) * 100) for d in DRIVERS],
        title=f"Share of first place in stakeholders' rankings, {latest}", value_format="{}%")
    value_chart = charts.bar_chart(
        [(t.name, t.revenue) for t in tiers[:10]], title="Most valuable customers (revenue)")
    return render_template(
        "portfolio/index.html", tiers=tiers, grouped=domain.tiers_grouped(tiers),
        tier_rule=domain.TIER_RULE, migration=migration, migration_charts=migration_charts,
        drift=drift, drift_chart=drift_chart, value_chart=value_chart, quarters=quarters,
        at_risk=domain.at_risk_accounts(session, account_ids=account_ids),
        risk_labels=domain.RISK_LABELS, segments=segments, segment=segment, drivers=DRIVERS,
        loyalty=domain.loyalty(session, account_ids=account_ids),
    )
