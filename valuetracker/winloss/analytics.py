"""Win/loss figures, all SQL aggregates (GROUP BY), bounded in query count and size.

Definitions follow PRODUCT.md exactly:
- win rate = won / (won + lost + no_decision) over deals closed in the period, with a
  Wilson 95% interval and a small-sample flag under 10 closed deals;
- factor impact = mean rating in won-deal interviews - mean rating in lost-deal
  interviews, with win-driver and loss-driver mention counts;
- response rate = completed / (completed + declined + no_response) interviews of deals
  closed in the period (requested and scheduled ones are still pending, so excluded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..models import (
    CLOSED_OUTCOMES,
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    DecisionFactor,
    FactorRating,
    InterviewQuote,
    Stakeholder,
    User,
    WinLossInterview,
)
from ..quarters import Quarter, quarter_case, quarter_of
from .deals import Page
from .interviews import interviewee_display
from .stats import SMALL_SAMPLE, median_from_histogram, wilson_interval

GROUPINGS = ("segment", "competitor", "quarter", "owner", "product")
NONE_LABEL = "(none)"


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


def closed_in_period(since: date | None = None, until: date | None = None) -> list[Any]:
    """SQL conditions: deals with a closed outcome, closed between since and until."""
    conditions: list[Any] = [Deal.outcome.in_(CLOSED_OUTCOMES)]
    if since is not None:
        conditions.append(Deal.closed_on >= since)
    if until is not None:
        conditions.append(Deal.closed_on <= until)
    return conditions


def _outcome_counts() -> list[Any]:
    def count(outcome: str) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((Deal.outcome == outcome, 1), else_=0)), 0)

    def amount(outcome: str) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((Deal.outcome == outcome, Deal.amount),
                                                    else_=0)), 0)

    return [count("won"), count("lost"), count("no_decision"), amount("won"), amount("lost")]


def _quarters_between(session: Session, since: date | None, until: date | None,
                      start_month: int) -> list[Quarter]:
    if since is None or until is None:
        low, high = session.exec(
            select(sa.func.min(Deal.closed_on), sa.func.max(Deal.closed_on))
            .where(*closed_in_period(since, until))).one()
        since, until = since or low, until or high
    if since is None or until is None:
        return []
    quarters = [quarter_of(since, start_month)]
    last = quarter_of(until, start_month)
    while quarters[-1] < last and len(quarters) < 400:
        quarters.append(quarters[-1].next())
    return quarters


def win_rates(
    session: Session,
    *,
    by: str,
    since: date | None = None,
    until: date | None = None,
    start_month: int = 1,
) -> list[WinRateRow]:
    """Win rate per group (segment, competitor, quarter, owner or product), sorted by group.

    One GROUP BY query (two for quarters). Deals without a value for the grouping
    fall in "(none)"; by competitor, a deal counts once for each competitor it met.
    """
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    query: Any
    if by == "segment":
        key = Account.segment
        query = select(key, *_outcome_counts()).select_from(Deal).join(
            Account, Account.id == Deal.account_id, isouter=True)
    elif by == "competitor":
        key = Competitor.name
        query = (select(key, *_outcome_counts()).select_from(Deal)
                 .join(DealCompetitor, DealCompetitor.deal_id == Deal.id, isouter=True)
                 .join(Competitor, Competitor.id == DealCompetitor.competitor_id, isouter=True))
    elif by == "owner":
        key = User.name
        query = select(key, *_outcome_counts()).select_from(Deal).join(
            User, User.id == Deal.owner_id, isouter=True)
    elif by == "product":
        key = Deal.product
        query = select(key, *_outcome_counts()).select_from(Deal)
    else:
        quarters = _quarters_between(session, since, until, start_month)
        if not quarters:
            return []
        key = quarter_case(Deal.closed_on, quarters)
        query = select(key, *_outcome_counts()).select_from(Deal)
    rows = session.exec(query.where(*closed_in_period(since, until)).group_by(key)).all()
    result = [
        WinRateRow(group=name if name not in (None, "") else NONE_LABEL, won=int(won),
                   lost=int(lost), no_decision=int(nd), amount_won=Decimal(aw or 0),
                   amount_lost=Decimal(al or 0))
        for name, won, lost, nd, aw, al in rows
    ]
    merged: dict[str, WinRateRow] = {}
    for row in result:  # "" and NULL both become "(none)"
        if row.group in merged:
            m = merged[row.group]
            m.won, m.lost, m.no_decision = m.won + row.won, m.lost + row.lost, \
                m.no_decision + row.no_decision
            m.amount_won += row.amount_won
            m.amount_lost += row.amount_lost
        else:
            merged[row.group] = row
    return sorted(merged.values(), key=lambda r: r.group.casefold())


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
    won, lost, nd, aw, al = session.exec(
        select(*_outcome_counts()).select_from(Deal).where(*closed_in_period(since, until))
    ).one()
    return WinRateRow("All deals", int(won), int(lost), int(nd), Decimal(aw or 0),
                      Decimal(al or 0))


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
    """Per competitor: win rate, counts and amount won and lost against it (most met first)."""
    return head_to_head_rows(win_rates(session, by="competitor", since=since, until=until))


def head_to_head_rows(by_competitor: list[WinRateRow]) -> list[WinRateRow]:
    """Head-to-head order from rows already grouped by competitor (saves a query)."""
    rows = [r for r in by_competitor if r.group != NONE_LABEL]
    return sorted(rows, key=lambda r: (-r.closed, r.group.casefold()))


@dataclass
class FactorImpactRow:
    factor_id: int
    category: str
    name: str
    won_mean: float | None
    won_ratings: int
    lost_mean: float | None
    lost_ratings: int
    win_driver: int
    loss_driver: int
    importance: float | None

    @property
    def impact(self) -> float | None:
        if self.won_mean is None or self.lost_mean is None:
            return None
        return self.won_mean - self.lost_mean

    @property
    def label(self) -> str:
        return self.name


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def factor_impact(session: Session, *, since: date | None = None,
                  until: date | None = None) -> list[FactorImpactRow]:
    """Factor ratings of completed interviews of deals closed in the period, per factor.

    Sorted by impact (largest first; factors without both sides last).
    """
    won = Deal.outcome == "won"
    lost = Deal.outcome == "lost"
    rated = FactorRating.rating.is_not(None)
    rows = session.exec(
        select(
            DecisionFactor.id, DecisionFactor.category, DecisionFactor.name,
            sa.func.avg(sa.case((won, FactorRating.rating))),
            sa.func.count(sa.case((sa.and_(won, rated), 1))),
            sa.func.avg(sa.case((lost, FactorRating.rating))),
            sa.func.count(sa.case((sa.and_(lost, rated), 1))),
            sa.func.count(sa.case((FactorRating.effect == "win_driver", 1))),
            sa.func.count(sa.case((FactorRating.effect == "loss_driver", 1))),
            sa.func.avg(FactorRating.importance),
        )
        .select_from(FactorRating)
        .join(DecisionFactor, DecisionFactor.id == FactorRating.factor_id)
        .join(WinLossInterview, WinLossInterview.id == FactorRating.interview_id)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.status == "completed", *closed_in_period(since, until))
        .group_by(DecisionFactor.id, DecisionFactor.category, DecisionFactor.name)
    ).all()
    result = [
        FactorImpactRow(fid, cat, name, _float(wm), int(wn), _float(lm), int(ln), int(wd),
                        int(ld), _float(imp))
        for fid, cat, name, wm, wn, lm, ln, wd, ld, imp in rows
    ]
    return sorted(result, key=lambda r: (r.impact is None, -(r.impact or 0), r.name))


def factor_ratings_for_quarter(session: Session, quarter: Quarter) -> list[FactorImpactRow]:
    """Factor impact for deals closed in one quarter (for the quarterly export)."""
    return factor_impact(session, since=quarter.start, until=quarter.end)


@dataclass
class ReasonRow:
    factor: str
    buyer: int
    rep: int


def top_reasons(session: Session, *, since: date | None = None, until: date | None = None,
                limit: int = 8) -> dict[str, list[ReasonRow]]:
    """Top primary reasons for won and lost deals, as buyers (interviews) and reps gave them."""
    period = closed_in_period(since, until)
    buyer = session.exec(
        select(WinLossInterview.primary_reason_id, Deal.outcome, sa.func.count())
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.status == "completed",
               WinLossInterview.primary_reason_id.is_not(None), *period)
        .group_by(WinLossInterview.primary_reason_id, Deal.outcome)).all()
    rep = session.exec(
        select(Deal.rep_reason_id, Deal.outcome, sa.func.count())
        .where(Deal.rep_reason_id.is_not(None), *period)
        .group_by(Deal.rep_reason_id, Deal.outcome)).all()
    names = dict(session.exec(select(DecisionFactor.id, DecisionFactor.name)).all())
    result: dict[str, list[ReasonRow]] = {}
    for outcome in ("won", "lost"):
        table: dict[int, ReasonRow] = {}
        for fid, out, n in buyer:
            if out == outcome:
                table.setdefault(fid, ReasonRow(names.get(fid, "?"), 0, 0)).buyer += int(n)
        for fid, out, n in rep:
            if out == outcome:
                table.setdefault(fid, ReasonRow(names.get(fid, "?"), 0, 0)).rep += int(n)
        ordered = sorted(table.values(), key=lambda r: (-(r.buyer + r.rep), r.factor))
        result[outcome] = ordered[:limit]
    return result


@dataclass
class Disagreement:
    compared: int  # deals with both a rep reason and a completed interview's reason
    disagreeing: int
    pairs: list[tuple[str, str, int]]  # (rep reason, buyer reason, deals), most frequent first

    @property
    def rate(self) -> float | None:
        return self.disagreeing / self.compared if self.compared else None


def reason_disagreements(session: Session, *, since: date | None = None,
                         until: date | None = None, limit: int = 10) -> Disagreement:
    """Deals whose rep primary reason differs from the completed interview's primary reason."""
    rep_f = aliased(DecisionFactor)
    buyer_f = aliased(DecisionFactor)
    comparable = [
        WinLossInterview.status == "completed",
        WinLossInterview.primary_reason_id.is_not(None),
        Deal.rep_reason_id.is_not(None),
        *closed_in_period(since, until),
    ]
    differs = WinLossInterview.primary_reason_id != Deal.rep_reason_id
    compared, disagreeing = session.exec(
        select(sa.func.count(sa.distinct(Deal.id)),
               sa.func.count(sa.distinct(sa.case((differs, Deal.id)))))
        .select_from(WinLossInterview).join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(*comparable)).one()
    pairs = session.exec(
        select(rep_f.name, buyer_f.name, sa.func.count())
        .select_from(WinLossInterview).join(Deal, Deal.id == WinLossInterview.deal_id)
        .join(rep_f, rep_f.id == Deal.rep_reason_id)
        .join(buyer_f, buyer_f.id == WinLossInterview.primary_reason_id)
        .where(*comparable, differs)
        .group_by(rep_f.name, buyer_f.name)
        .order_by(sa.func.count().desc(), rep_f.name, buyer_f.name).limit(limit)).all()
    return Disagreement(int(compared), int(disagreeing), [(r, b, int(n)) for r, b, n in pairs])


@dataclass
class Scorecard:
    closed_deals: int
    requested: int  # every interview of those deals (each began as a request)
    scheduled: int
    completed: int
    declined: int
    no_response: int
    median_days_to_interview: float | None

    @property
    def response_rate(self) -> float | None:
        answered = self.completed + self.declined + self.no_response
        return self.completed / answered if answered else None


def _days_between(session: Session, start_date: Any, end_timestamp: Any) -> Any:
    """Whole days from a date column to a timestamp column, per dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # The UTC calendar day, whatever the server's time zone; date - date = whole days.
        return sa.cast(sa.func.timezone("UTC", end_timestamp), sa.Date) - start_date
    return sa.cast(sa.func.julianday(sa.func.date(end_timestamp))
                   - sa.func.julianday(start_date), sa.Integer)


def program_scorecard(session: Session, *, since: date | None = None,
                      until: date | None = None) -> Scorecard:
    """Closed deals, interviews by status, response rate and median days to interview.

    The median comes from a histogram of whole days (one GROUP BY, at most a few
    hundred rows), so it is exact and bounded on both dialects.
    """
    period = closed_in_period(since, until)
    closed = session.exec(select(sa.func.count()).select_from(Deal).where(*period)).one()
    by_status = dict(session.exec(
        select(WinLossInterview.status, sa.func.count())
        .join(Deal, Deal.id == WinLossInterview.deal_id).where(*period)
        .group_by(WinLossInterview.status)).all())
    days = _days_between(session, Deal.closed_on, WinLossInterview.completed_at)
    histogram = session.exec(
        select(days, sa.func.count())
        .select_from(WinLossInterview).join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.status == "completed", WinLossInterview.completed_at.is_not(None),
               Deal.closed_on.is_not(None), *period)
        .group_by(days)).all()
    counts = {k: int(v) for k, v in by_status.items()}
    return Scorecard(
        closed_deals=int(closed),
        requested=sum(counts.values()),
        scheduled=counts.get("scheduled", 0),
        completed=counts.get("completed", 0),
        declined=counts.get("declined", 0),
        no_response=counts.get("no_response", 0),
        median_days_to_interview=median_from_histogram(
            [(int(d), int(n)) for d, n in histogram if d is not None]),
    )


def list_quotes(
    session: Session,
    *,
    factor_id: int | None = None,
    tag: str | None = None,
    outcome: str | None = None,
    competitor_id: int | None = None,
    q: str | None = None,
    since: date | None = None,
    until: date | None = None,
    account_id: int | None = None,
    page: int = 1,
    size: int = 50,
) -> Page:
    """The quote library: quotes of completed interviews, newest first, filtered.

    Each item is a dict; `interviewee` is already anonymized where it must be.
    """
    conditions: list[Any] = [WinLossInterview.status == "completed"]
    if since is not None or until is not None:
        conditions += closed_in_period(since, until)
    if factor_id:
        conditions.append(InterviewQuote.factor_id == factor_id)
    if tag and tag.strip():
        wrapped = sa.func.lower(sa.literal(";") + sa.func.coalesce(InterviewQuote.tags, "")
                                + sa.literal(";"))
        conditions.append(wrapped.like(f"%;{tag.strip().lower()};%"))
    if outcome:
        conditions.append(Deal.outcome == outcome)
    if competitor_id:
        conditions.append(Deal.id.in_(select(DealCompetitor.deal_id).where(
            DealCompetitor.competitor_id == competitor_id)))
    if q and q.strip():
        conditions.append(sa.func.lower(InterviewQuote.text).like(f"%{q.strip().lower()}%"))
    if account_id:
        conditions.append(Deal.account_id == account_id)
    joined = (
        select(InterviewQuote, WinLossInterview, Deal, Account.name, Stakeholder,
               DecisionFactor.name)
        .select_from(InterviewQuote)
        .join(WinLossInterview, WinLossInterview.id == InterviewQuote.interview_id)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .join(Account, Account.id == Deal.account_id, isouter=True)
        .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id, isouter=True)
        .join(DecisionFactor, DecisionFactor.id == InterviewQuote.factor_id, isouter=True)
        .where(*conditions)
    )
    total = session.exec(
        select(sa.func.count()).select_from(InterviewQuote)
        .join(WinLossInterview, WinLossInterview.id == InterviewQuote.interview_id)
        .join(Deal, Deal.id == WinLossInterview.deal_id).where(*conditions)).one()
    rows = session.exec(
        joined.order_by(WinLossInterview.completed_at.desc(), InterviewQuote.id.desc())
        .offset((max(page, 1) - 1) * size).limit(size)).all()
    items = [
        {"quote": quote, "interview": interview, "deal": deal, "account": account,
         "factor": factor, "tags": [t for t in (quote.tags or "").split(";") if t],
         "interviewee": interviewee_display(interview, stakeholder)}
        for quote, interview, deal, account, stakeholder, factor in rows
    ]
    return Page(items, max(page, 1), int(total), size)


def quotes_for_quarter(session: Session, quarter: Quarter, *, limit: int = 500
                       ) -> list[dict[str, Any]]:
    """Quotes of deals closed in a quarter, as plain records with anonymity applied."""
    page = list_quotes(session, since=quarter.start, until=quarter.end, size=limit)
    return [
        {"deal": item["deal"].name, "account": item["account"] or "",
         "outcome": item["deal"].outcome, "factor": item["factor"] or "",
         "tags": ";".join(item["tags"]), "quote": item["quote"].text,
         "interviewee": item["interviewee"]}
        for item in page.items
    ]
