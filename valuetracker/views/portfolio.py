"""The portfolio: most valuable customers, margin tiers, value migration, account health.

Leaders, analysts and admins see every account; account managers see their own. The
figures aggregate the whole portfolio, so they are kept until the data changes
(`valuetracker.cache`); the lists are shown a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlmodel import Session

from .. import charts, signals
from .. import value as domain
from ..access import account_scope, scope_key, scoped_account_ids
from ..cache import cached
from ..db import get_session
from ..listing import Column, csv_rows, wants_csv
from ..models import DRIVERS, label
from ..pagination import paginate_list
from ..quarters import Quarter, app_start_month, current_quarter
from ..value.portfolio import SegmentMigration
from ._request import file_response, page_arg

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

TIER_PREVIEW = 8  # accounts listed per tier card; the tier's own page lists them all
AT_RISK_PAGE = 25
TIER_PAGE = 50
# A tier's accounts as CSV (`?format=csv`): the rows behind the tier's count.
TIER_CSV = (
    Column("Revenue rank", lambda a: a.revenue_rank), Column("Account", lambda a: a.name),
    Column("Segment", lambda a: a.segment), Column("Revenue", lambda a: a.revenue),
    Column("Cost to serve", lambda a: a.cost_to_serve), Column("Margin", lambda a: a.margin),
)


# What the margin tiers and segments read (the accounts, and the team tables a scope
# reads); a write to anything else (a value entry, a pulse) keeps them. The user row
# decides whether the scope is everyone's (scope_key).
_ACCOUNT_TABLES = ("account", "account_member", "user")


def _scope() -> tuple[Any, Any]:
    """(account ids for the domain functions, the cache key of the user's scope)."""
    return scoped_account_ids(current_user), scope_key(current_user)


def _overview(session: Session) -> domain.PortfolioOverview:
    account_ids, scope_key = _scope()
    today = date.today()
    return cached(session, "portfolio-overview", (scope_key, today),
                  lambda: domain.portfolio_overview(session, account_ids=account_ids,
                                                    today=today),
                  tables=_ACCOUNT_TABLES)


@dataclass
class Shifts:
    """Value migration and priority drift with their charts, for one segment (or all)."""

    migration: list[SegmentMigration]
    migration_charts: list[tuple[str, str, str]]
    drift: dict[str, dict[str, Any]]
    drift_chart: str


def _shifts(session: Session, account_ids: Any, quarters: list[Quarter],
            segment: str | None) -> Shifts:
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
    return Shifts(migration, migration_charts, drift, drift_chart)


@bp.route("")
@login_required
def index() -> str:
    session = get_session()
    overview = _overview(session)
    segment = request.args.get("segment") or None
    if segment not in overview.segments:
        segment = None
    quarters = current_quarter(app_start_month()).last(4)
    account_ids, scope_key = _scope()
    shifts = cached(session, "portfolio-shifts",
                    (scope_key, segment, tuple(q.label for q in quarters)),
                    lambda: _shifts(session, account_ids, quarters, segment))
    value_chart = charts.bar_chart(
        [(t.name, t.revenue) for t in overview.tiers[:10]],
        title="Most valuable customers (revenue)")
    previews = {tier: accounts[:TIER_PREVIEW] for tier, accounts in overview.grouped.items()}
    # Watch and at-risk accounts, lowest score first (kept until the data, signals
    # included, changes).
    at_risk = cached(session, "portfolio-health", (scope_key,),
                     lambda: signals.accounts_health(session, account_scope(current_user),
                                                     below=signals.HEALTHY_MIN),
                     tables=(*_ACCOUNT_TABLES, "signal", "setting"))
    return render_template(
        "portfolio/index.html", overview=overview, previews=previews,
        tier_rule=domain.TIER_RULE, shifts=shifts, value_chart=value_chart, quarters=quarters,
        at_risk=paginate_list(at_risk, number=page_arg(), size=AT_RISK_PAGE),
        healthy_min=signals.HEALTHY_MIN, segments=overview.segments, segment=segment,
        drivers=DRIVERS, args={"segment": segment} if segment else {},
    )


@bp.route("/tiers/<tier>")
@login_required
def tier(tier: str) -> str:
    if tier not in domain.TIER_ORDER:
        abort(404)
    overview = _overview(get_session())
    if wants_csv(request.args):
        return file_response(csv_rows(TIER_CSV, overview.grouped[tier]),
                             filename=f"{tier}-accounts-{date.today().isoformat()}.csv",
                             mimetype="text/csv")
    return render_template(
        "portfolio/tier.html", tier=tier, tier_rule=domain.TIER_RULE,
        page=paginate_list(overview.grouped[tier], number=page_arg(), size=TIER_PAGE))
