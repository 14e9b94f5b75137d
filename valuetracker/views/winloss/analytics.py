"""The analytics page and the quote library."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlmodel import select

from ... import charts, figure_links
from ...access import (
    permission_required,
    reads_winloss_program,
)
from ...cache import cached
from ...db import get_session
from ...listing import Column, wants_csv
from ...models import (
    CLOSED_OUTCOMES,
    Competitor,
)
from ...quarters import app_start_month
from ...templating import url_for
from ...winloss import analytics as wl
from ...winloss.deals import ANSWERED, DAYS_COUNTED
from ...winloss.quotes import QUOTE_LIST, all_quotes, list_quotes
from ...winloss.taxonomy import list_factors
from .._request import date_arg, list_csv, list_state, page_arg, quarter_arg
from ._common import bp

# What the analytics read: the deals and their rollup (kept from these tables in the
# writing transaction), the interviews and ratings, the accounts' segments, the owners,
# the competitors and the reason taxonomy.
_ANALYTICS_TABLES = ("deal", "deal_competitor", "winloss_interview", "factor_rating",
                     "account", "user", "competitor", "decision_factor")


@bp.route("/analytics")
@permission_required(reads_winloss_program)
def analytics() -> str:
    session = get_session()
    since, until = date_arg("since"), date_arg("until")
    quarter = ""
    chosen = quarter_arg()  # a quarter, when given, wins over since/until
    if chosen is not None:
        since, until, quarter = chosen.start, chosen.end, chosen.label
    by = request.args.get("by", "segment")
    if by not in wl.GROUPINGS:
        by = "segment"

    # Every program reader sees every deal, so the figures are kept per filter until the
    # tables they read change (valuetracker.cache): not at a value entry.
    start_month = app_start_month()
    figures, competitor_ids = cached(
        session, "winloss-analytics", (by, since, until, start_month),
        lambda: (wl.analytics_page(session, by=by, since=since, until=until,
                                   start_month=start_month),
                 # the competitors' ids, for the figure links to their deals
                 {c.name: c.id for c in session.exec(select(Competitor)).all()}),
        tables=_ANALYTICS_TABLES)
    win_chart = charts.interval_chart(
        [(f"{r.group} (n={r.closed})", r.win_rate or 0.0, r.ci_low, r.ci_high)
         for r in figures.groups[:25]], title=f"Win rate by {by} with 95% interval")
    impact_items = [(r.name, round(r.impact, 2)) for r in figures.impact
                    if r.impact is not None]
    impact_chart = charts.bar_chart(impact_items, title="Factor impact (won − lost mean rating)",
                                    signed=True)
    links = _figure_urls(competitor_ids, by=by, since=since, until=until,
                         start_month=start_month)
    return render_template(
        "winloss/analytics.html", groups=figures.groups, overall=figures.overall,
        impact=figures.impact, h2h=figures.head_to_head, reasons=figures.reasons,
        disagreement=figures.disagreement, scorecard=figures.scorecard, by=by,
        groupings=wl.GROUPINGS, since=since, until=until, quarter=quarter, win_chart=win_chart,
        impact_chart=impact_chart, **links)


def _figure_urls(competitor_ids: dict[str, int], *, by: str, since: Any, until: Any,
                 start_month: int) -> dict[str, Any]:
    """The page's figure links (figure_links): per group, per competitor, the period's
    closed deals and its interviews, each a function of the outcome or status."""
    period = figure_links.closed_period_args(since, until)

    def deals(args: dict[str, Any] | None) -> str | None:
        return None if args is None else url_for("winloss.deals", **args)

    def group_url(row: Any, outcome: str, grouping: str = by) -> str | None:
        args = figure_links.win_rate_group_args(
            grouping, row.group, since=since, until=until, start_month=start_month,
            competitor_ids=competitor_ids)
        return deals(figure_links.with_outcome(args, outcome))

    def interviews(**args: Any) -> str:
        return url_for("winloss.queue", **dict(period, **{k: v for k, v in args.items() if v}))

    return {
        "group_url": group_url,
        "h2h_url": lambda row, outcome: group_url(row, outcome, "competitor"),
        "period_url": lambda outcome: deals(dict(period, outcome=outcome)),
        "interviews_url": lambda status="": interviews(status=status),
        # the response rate's answered requests, the median days to interview's interviews
        "answered_url": interviews(status=ANSWERED),
        "timed_url": interviews(status=DAYS_COUNTED),
        # factor impact: the completed interviews rating the factor (figure_links)
        "factor_url": lambda factor_id, outcome, effect: interviews(
            **figure_links.factor_args(factor_id, outcome, effect)),
        # top reasons and rep versus buyer: the buyers' interviews, the reps' deals
        "buyer_reason_url": lambda factor_id, outcome="", rep_id=None: interviews(
            **figure_links.buyer_reason_args(factor_id, outcome, rep_id)),
        "rep_reason_url": lambda factor_id, outcome: deals(
            dict(period, outcome=outcome, rep_reason=factor_id)),
        "debrief_url": lambda debrief: deals(dict(period, debrief=debrief)),
    }


QUOTE_CSV = (
    Column("Quote", lambda r: r["quote"].text), Column("Interviewee", lambda r: r["interviewee"]),
    Column("Deal", lambda r: r["deal"].name), Column("Account", lambda r: r["account"]),
    Column("Outcome", lambda r: r["deal"].outcome), Column("Factor", lambda r: r["factor"]),
    Column("Tags", lambda r: ";".join(r["tags"])),
    Column("Interview date", lambda r: r["interview"].completed_at),
)


@bp.route("/quotes")
@permission_required(reads_winloss_program)
def quotes() -> Any:
    session = get_session()
    factors = list_factors(session)
    competitors = session.exec(select(Competitor).order_by(Competitor.name)).all()
    state = list_state(QUOTE_LIST, choices={"outcome": CLOSED_OUTCOMES})
    by = {"factor_id": state.get("factor"), "competitor_id": state.get("competitor"),
          "outcome": state.get("outcome"), "tag": (state.get("tag") or "")[:60],
          "q": state.get("q"), "sort": state.sort}
    if wants_csv(request.args):
        return list_csv(QUOTE_LIST, QUOTE_CSV, all_quotes(session, **by))
    page = list_quotes(session, **by, page=page_arg())
    return render_template(
        "winloss/quotes.html", page=page, state=state, args=state.args, factors=factors,
        competitors=competitors, outcomes=CLOSED_OUTCOMES, factor_id=by["factor_id"],
        competitor_id=by["competitor_id"], outcome=by["outcome"], tag=by["tag"],
        q=by["q"] or "")


