"""Win/loss figures, all SQL aggregates (GROUP BY), bounded in query count and size.

Win rates live here, the figures from interviews in `interview_stats`, and
`analytics_page` gathers what the analytics page shows.

Definitions follow docs/definitions.md exactly:
- win rate = won / (won + lost + no_decision) over deals closed in the period, with a
  Wilson 95% interval and a small-sample flag under 10 closed deals;
- factor impact = mean rating in won-deal interviews - mean rating in lost-deal
  interviews, with win-driver and loss-driver mention counts;
- response rate = completed / (completed + declined + no_response) interviews of deals
  closed in the period (requested and scheduled ones are still pending, so excluded).

The figures read the win/loss rollup (`valuetracker.rollups.deals`): closed deals
counted per month of closing and group, kept current by every write, so a figure costs
a few thousand rollup rows (plus the deals of a period's partial months), not every deal:
- outcomes are turned into columns over those few rows in Python;
- owners, competitors and quarters are named after counting, once per group;
- `analytics_page` shares scans between the page's figures: one count of interviews
  per status and reasons feeds the scorecard, the top reasons and the rep-versus-buyer
  pairs, and the win-rate groups give the overall figure and the closed-deal count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Competitor, User
from ..quarters import Quarter, quarter_case, quarter_of
from ..rollups import deals as deal_rollups
from .deals import NONE_LABEL, shown_owner
from .interview_stats import (
    Disagreement,
    FactorImpactRow,
    ReasonRow,
    Scorecard,
    factor_impact,
    factor_names,
    interview_counts,
    program_scorecard,
    reason_disagreements,
    top_reasons,
)
from .stats import SMALL_SAMPLE, wilson_interval

GROUPINGS = ("segment", "competitor", "quarter", "owner", "product")


@dataclass
class WinRateRow:
    """Win-rate figures of one group."""

    group: str
    won: int
    lost: int
    no_decision: int
    amount_won: Decimal = Decimal(0)
    amount_lost: Decimal = Decimal(0)

    @property
    def closed(self) -> int:
        return self.won + self.lost + self.no_decision

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.won, self.closed)

    @property
    def ci_low(self) -> float:
        return self.interval[0]

    @property
    def ci_high(self) -> float:
        return self.interval[1]

    @property
    def small_sample(self) -> bool:
        return self.closed < SMALL_SAMPLE

    def as_dict(self) -> dict[str, Any]:
        """The report's record: exactly these keys (CLI JSON/CSV, exports)."""
        low, high = self.interval
        return {
            "group": self.group,
            "won": self.won,
            "lost": self.lost,
            "no_decision": self.no_decision,
            "win_rate": None if self.win_rate is None else round(self.win_rate, 4),
            "ci_low": round(low, 4),
            "ci_high": round(high, 4),
            "small_sample": self.small_sample,
        }


def _counted(session: Session, kind: str, since: date | None, until: date | None,
             *keys: tuple[str, str], with_null_ref: bool = True) -> Any:
    """Deals and their amount per (outcome, keys) of one kind of rollup row (see
    `valuetracker.rollups.deals`), as a subquery with columns keys…, outcome, deals,
    amount; `keys` are (rollup column, name) pairs."""
    r = deal_rollups.rows(session, kind, since, until)
    columns = [r.c[column].label(name) for column, name in keys]
    query = select(*columns, r.c.outcome.label("outcome"), sa.func.sum(r.c.n).label("deals"),
                   sa.func.sum(r.c.amount).label("amount"))
    if not with_null_ref:
        query = query.where(r.c.ref_id.is_not(None))
    return query.group_by(r.c.outcome, *(r.c[column] for column, _ in keys)).subquery()


def _fold(rows: Iterable[Any]) -> dict[str, WinRateRow]:
    """WinRateRows from (group, outcome, deals, amount) rows; "" and NULL are both "(none)"."""
    merged: dict[str, WinRateRow] = {}
    for name, outcome, deals, amount in rows:
        group = name if name not in (None, "") else NONE_LABEL
        row = merged.setdefault(group, WinRateRow(group, 0, 0, 0))
        if outcome == "won":
            row.won += int(deals)
            row.amount_won += Decimal(amount or 0)
        elif outcome == "lost":
            row.lost += int(deals)
            row.amount_lost += Decimal(amount or 0)
        else:
            row.no_decision += int(deals)
    return merged


def _named(counted: Any, name: Any, *join: Any) -> Any:
    """(name, outcome, deals, amount) from per-id counts: names are looked up per group,
    and groups sharing a name are added up (two owners called alike count as one)."""
    query = select(name, counted.c.outcome, sa.func.sum(counted.c.deals),
                   sa.func.sum(counted.c.amount)).select_from(counted)
    if join:
        query = query.join(*join, isouter=True)
    return query.group_by(name, counted.c.outcome)


def _quarters_between(session: Session, since: date | None, until: date | None,
                      start_month: int) -> list[Quarter]:
    if since is None or until is None:
        r = deal_rollups.rows(session, "segment", since, until)
        low, high = (deal_rollups.as_date(d) for d in session.exec(
            select(sa.func.min(r.c.month), sa.func.max(r.c.month))).one())
        since, until = since or low, until or high
    if since is None or until is None:
        return []
    quarters = [quarter_of(since, start_month)]
    last = quarter_of(until, start_month)
    while quarters[-1] < last and len(quarters) < 400:
        quarters.append(quarters[-1].next())
    return quarters


def _competitor_query(session: Session, since: date | None, until: date | None, *,
                      deals_without: bool) -> Any:
    """(competitor, outcome, deals, amount); with deals_without, also deals that met none."""
    counted = _counted(session, "competitor", since, until, ("ref_id", "competitor_id"),
                       with_null_ref=deals_without)
    return _named(counted, Competitor.name, Competitor, Competitor.id == counted.c.competitor_id)


def win_rates(
    session: Session,
    *,
    by: str,
    since: date | None = None,
    until: date | None = None,
    start_month: int = 1,
) -> list[WinRateRow]:
    """Win rate per group (segment, competitor, quarter, owner or product), sorted by group.

    One GROUP BY over the rollup (two for quarters without both dates). Deals without a
    value for the grouping fall in "(none)"; by competitor, a deal counts once for each
    competitor it met.
    """
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    query: Any
    if by in ("segment", "product"):
        counted = _counted(session, by, since, until, ("label", "name"))
        query = select(counted.c.name, counted.c.outcome, counted.c.deals, counted.c.amount)
    elif by == "competitor":
        query = _competitor_query(session, since, until, deals_without=True)
    elif by == "owner":
        # The user when there is one, else the rep's name kept from a CRM import.
        counted = _counted(session, "owner", since, until, ("ref_id", "owner_id"),
                           ("label", "owner_name"))
        query = _named(counted, shown_owner(User.name, counted.c.owner_name), User,
                       User.id == counted.c.owner_id)
    else:
        quarters = _quarters_between(session, since, until, start_month)
        if not quarters:
            return []
        # Per month of closing: fiscal quarters are whole months.
        counted = _counted(session, "segment", since, until, ("month", "closed_on"))
        query = _named(counted, quarter_case(counted.c.closed_on, quarters))
    rows = _fold(session.exec(query).all())
    return sorted(rows.values(), key=lambda r: (r.group.casefold(), r.group))


def win_rates_by_segment(session: Session, *, since: date | None = None,
                         until: date | None = None) -> list[WinRateRow]:
    """Win rate per account segment for deals closed between since and until."""
    return win_rates(session, by="segment", since=since, until=until)


def win_rates_by_competitor(session: Session, *, since: date | None = None,
                            until: date | None = None) -> list[WinRateRow]:
    """Win rate per competitor met (via DealCompetitor) for deals closed in the period."""
    return win_rates(session, by="competitor", since=since, until=until)


def overall_win_rate(session: Session, *, since: date | None = None,
                     until: date | None = None) -> WinRateRow:
    """All deals closed in the period as one group."""
    counted = _counted(session, "segment", since, until)
    rows = session.exec(select(counted.c.outcome, sa.func.sum(counted.c.deals),
                               sa.func.sum(counted.c.amount)).group_by(counted.c.outcome)).all()
    return combine(list(_fold(("All deals", *row) for row in rows).values()))


def combine(rows: list[WinRateRow], group: str = "All deals") -> WinRateRow:
    """One row summing rows whose groups do not overlap (not by competitor: a deal
    meeting two competitors is in two groups)."""
    total = WinRateRow(group, 0, 0, 0)
    for row in rows:
        total.won += row.won
        total.lost += row.lost
        total.no_decision += row.no_decision
        total.amount_won += row.amount_won
        total.amount_lost += row.amount_lost
    return total


def competitor_head_to_head(session: Session, *, since: date | None = None,
                            until: date | None = None) -> list[WinRateRow]:
    """Per competitor: win rate, counts and amount won and lost against it (most met first).

    Reads only the deals that met a competitor (the "(none)" group is not shown here).
    """
    query = _competitor_query(session, since, until, deals_without=False)
    return head_to_head_rows(list(_fold(session.exec(query).all()).values()))


def head_to_head_rows(by_competitor: list[WinRateRow]) -> list[WinRateRow]:
    """Head-to-head order from rows already grouped by competitor (saves a query)."""
    rows = [r for r in by_competitor if r.group != NONE_LABEL]
    return sorted(rows, key=lambda r: (-r.closed, r.group.casefold(), r.group))


@dataclass
class AnalyticsPage:
    """Every figure of the analytics page."""

    groups: list[WinRateRow]
    overall: WinRateRow
    head_to_head: list[WinRateRow]
    impact: list[FactorImpactRow]
    reasons: dict[str, list[ReasonRow]]
    disagreement: Disagreement
    scorecard: Scorecard


def analytics_page(session: Session, *, by: str, since: date | None = None,
                   until: date | None = None, start_month: int = 1,
                   head_to_head_limit: int = 15) -> AnalyticsPage:
    """The analytics page's figures, each scan feeding every figure it can.

    The groups give the overall figure and the closed-deal count (not by competitor,
    where a deal is in as many groups as competitors it met), and by competitor they
    are the head-to-head; one count of interviews feeds the scorecard, the top reasons
    and the rep-vs-buyer pairs.
    """
    groups = win_rates(session, by=by, since=since, until=until, start_month=start_month)
    if by == "competitor":
        overall = overall_win_rate(session, since=since, until=until)
        h2h = head_to_head_rows(groups)
    else:
        overall = combine(groups)
        h2h = competitor_head_to_head(session, since=since, until=until)
    interviews = interview_counts(session, since=since, until=until)
    names = factor_names(session)
    return AnalyticsPage(
        groups=groups, overall=overall, head_to_head=h2h[:head_to_head_limit],
        impact=factor_impact(session, since=since, until=until),
        reasons=top_reasons(session, since=since, until=until, interviews=interviews,
                            names=names),
        disagreement=reason_disagreements(session, since=since, until=until,
                                          interviews=interviews, names=names),
        scorecard=program_scorecard(session, since=since, until=until,
                                    closed_deals=overall.closed, interviews=interviews),
    )
