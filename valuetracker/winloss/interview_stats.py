"""Figures from the interviews of closed deals: factor impact, top reasons, rep versus
buyer, and the program scorecard (definitions in docs/definitions.md; see `analytics`).

Each is a GROUP BY over the win/loss rollup (`valuetracker.rollups.deals`: interviews
counted per month of their deal's closing), bounded in rows by the taxonomy and the
months, not by the number of interviews. `interview_counts` is one such scan shared
by the scorecard, the top reasons and the rep-versus-buyer pairs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import DecisionFactor
from ..quarters import Quarter
from ..rollups import deals as deal_rollups
from .deals import ANSWERED_STATUSES
from .stats import median_from_histogram


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


def _mean(total: int, count: int) -> float | None:
    """A mean from an exact integer sum: the same double as SQL's AVG of integers."""
    return total / count if count else None


def factor_impact(session: Session, *, since: date | None = None,
                  until: date | None = None) -> list[FactorImpactRow]:
    """Factor ratings of completed interviews of deals closed in the period, per factor.

    Read from the rollup's counts per (month, factor, outcome, effect) and combined
    here, over a few hundred rows whatever the number of ratings. Sorted by impact (largest
    first; factors without both sides last).
    """
    r = deal_rollups.rows(session, "factor", since, until)
    # Summed over the months in SQL: a few rows per factor reach Python, not one per month.
    rows = session.exec(
        select(DecisionFactor.id, DecisionFactor.category, DecisionFactor.name,
               r.c.outcome, r.c.label, sa.func.sum(r.c.rated), sa.func.sum(r.c.rating_sum),
               sa.func.sum(r.c.weighted), sa.func.sum(r.c.importance_sum),
               sa.func.sum(r.c.n))
        .select_from(r).join(DecisionFactor, DecisionFactor.id == r.c.ref_id)
        .group_by(DecisionFactor.id, DecisionFactor.category, DecisionFactor.name,
                  r.c.outcome, r.c.label)
        .order_by(DecisionFactor.id)
    ).all()
    factors: dict[int, tuple[str, str]] = {}
    sums: Counter[tuple[int, str]] = Counter()
    for fid, category, name, outcome, effect, ratings, rating_sum, importances, \
            importance_sum, mentions in rows:
        factors[fid] = (category, name)
        sums[fid, f"{outcome} ratings"] += int(ratings)
        sums[fid, f"{outcome} sum"] += int(rating_sum or 0)
        sums[fid, effect] += int(mentions)
        sums[fid, "importances"] += int(importances)
        sums[fid, "importance sum"] += int(importance_sum or 0)
    result = [
        FactorImpactRow(
            fid, category, name,
            _mean(sums[fid, "won sum"], sums[fid, "won ratings"]), sums[fid, "won ratings"],
            _mean(sums[fid, "lost sum"], sums[fid, "lost ratings"]), sums[fid, "lost ratings"],
            sums[fid, "win_driver"], sums[fid, "loss_driver"],
            _mean(sums[fid, "importance sum"], sums[fid, "importances"]))
        for fid, (category, name) in factors.items()
    ]
    return sorted(result, key=lambda r: (r.impact is None, -(r.impact or 0), r.name))


def factor_ratings_for_quarter(session: Session, quarter: Quarter) -> list[FactorImpactRow]:
    """Factor impact for deals closed in one quarter (for the quarterly export)."""
    return factor_impact(session, since=quarter.start, until=quarter.end)


def factor_names(session: Session) -> dict[int, str]:
    """Factor id -> name, for the reasons and pairs (one small query)."""
    return dict(session.exec(select(DecisionFactor.id, DecisionFactor.name)).all())


@dataclass(frozen=True)
class InterviewCounts:
    """Interviews of deals closed in the period, counted per (status, buyer's primary
    reason, rep's primary reason, outcome): at most a few hundred rows, whatever the
    number of interviews. Feeds the scorecard, the top reasons and the rep-vs-buyer pairs.
    """

    rows: tuple[tuple[str, int | None, int | None, str, int], ...]

    def by_status(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for status, _buyer, _rep, _outcome, n in self.rows:
            counts[status] += n
        return dict(counts)

    def completed(self) -> list[tuple[int | None, int | None, str, int]]:
        return [(buyer, rep, outcome, n) for status, buyer, rep, outcome, n in self.rows
                if status == "completed"]


def interview_counts(session: Session, *, since: date | None = None,
                     until: date | None = None) -> InterviewCounts:
    """One scan of the interviews of deals closed in the period (see `InterviewCounts`)."""
    r = deal_rollups.rows(session, "interviews", since, until)
    rows = session.exec(
        select(r.c.label, r.c.ref_id, r.c.ref2_id, r.c.outcome, sa.func.sum(r.c.n))
        .group_by(r.c.label, r.c.ref_id, r.c.ref2_id, r.c.outcome)).all()
    return InterviewCounts(tuple((s, b, r, o, int(n)) for s, b, r, o, n in rows))


@dataclass
class ReasonRow:
    factor: str
    buyer: int  # completed interviews giving it as the primary reason
    rep: int  # deals whose rep gave it
    factor_id: int | None = None


def top_reasons(session: Session, *, since: date | None = None, until: date | None = None,
                limit: int = 8, interviews: InterviewCounts | None = None,
                names: dict[int, str] | None = None) -> dict[str, list[ReasonRow]]:
    """Top primary reasons for won and lost deals, as buyers (interviews) and reps gave them.

    `interviews` and `names` may come from the caller, which has them already.
    """
    interviews = interviews or interview_counts(session, since=since, until=until)
    r = deal_rollups.rows(session, "rep_reason", since, until)
    rep = session.exec(
        select(r.c.ref_id, r.c.outcome, sa.func.sum(r.c.n))
        .group_by(r.c.outcome, r.c.ref_id)).all()
    names = names if names is not None else factor_names(session)
    buyer: Counter[tuple[int, str]] = Counter()
    for fid, _rep, outcome, n in interviews.completed():
        if fid is not None:
            buyer[fid, outcome] += n
    result: dict[str, list[ReasonRow]] = {}
    for outcome in ("won", "lost"):
        table: dict[int, ReasonRow] = {}
        for (fid, out), n in sorted(buyer.items()):
            if out == outcome:
                table.setdefault(fid, ReasonRow(names.get(fid, "?"), 0, 0, fid)).buyer += n
        for fid, out, n in rep:
            if out == outcome:
                table.setdefault(fid, ReasonRow(names.get(fid, "?"), 0, 0, fid)).rep += int(n)
        ordered = sorted(table.values(), key=lambda r: (-(r.buyer + r.rep), r.factor))
        result[outcome] = ordered[:limit]
    return result


@dataclass
class Disagreement:
    compared: int  # deals with both a rep reason and a completed interview's reason
    disagreeing: int
    # (rep reason, buyer reason, completed interviews), most frequent first
    pairs: list[tuple[str, str, int]]
    pair_ids: list[tuple[int, int]] = field(default_factory=list)  # (rep's, buyer's), as pairs

    @property
    def rate(self) -> float | None:
        return self.disagreeing / self.compared if self.compared else None


def reason_disagreements(session: Session, *, since: date | None = None,
                         until: date | None = None, limit: int = 10,
                         interviews: InterviewCounts | None = None,
                         names: dict[int, str] | None = None) -> Disagreement:
    """Deals whose rep primary reason differs from the completed interview's primary reason.

    The pairs come from `interview_counts`; the deal counts need their own query, as a
    deal may have several completed interviews.
    """
    # Each deal is in one month, so the per-month counts of distinct deals add up.
    compared, disagreeing = _totals(session, ("compared", "disagreeing"), since, until)
    interviews = interviews or interview_counts(session, since=since, until=until)
    names = names if names is not None else factor_names(session)
    pairs: Counter[tuple[int, int]] = Counter()
    for buyer, rep, _outcome, n in interviews.completed():
        if buyer is not None and rep is not None and buyer != rep \
                and buyer in names and rep in names:
            pairs[rep, buyer] += n
    ordered = sorted(pairs.items(),
                     key=lambda item: (-item[1], names[item[0][0]], names[item[0][1]]))[:limit]
    return Disagreement(int(compared), int(disagreeing),
                        [(names[r], names[b], n) for (r, b), n in ordered],
                        [pair for pair, _n in ordered])


@dataclass
class Scorecard:
    closed_deals: int
    requested: int  # every interview of those deals (each began as a request)
    scheduled: int
    completed: int
    declined: int
    no_response: int
    median_days_to_interview: float | None
    timed: int = 0  # the interviews the median is over (`deals.days_counted`)

    @property
    def answered(self) -> int:
        """The interviews the response rate divides by (`deals.ANSWERED_STATUSES`)."""
        return sum(getattr(self, status) for status in ANSWERED_STATUSES)

    @property
    def response_rate(self) -> float | None:
        return self.completed / self.answered if self.answered else None


def _totals(session: Session, kinds: tuple[str, ...], since: date | None,
            until: date | None) -> tuple[int, ...]:
    """The sum of `n` over each kind of rollup row in the period (one query)."""
    sums = []
    for kind in kinds:
        r = deal_rollups.rows(session, kind, since, until)
        sums.append(select(sa.func.coalesce(sa.func.sum(r.c.n), 0)).scalar_subquery())
    return tuple(int(n) for n in session.execute(select(*sums)).one())


def program_scorecard(session: Session, *, since: date | None = None,
                      until: date | None = None, closed_deals: int | None = None,
                      interviews: InterviewCounts | None = None) -> Scorecard:
    """Closed deals, interviews by status, response rate and median days to interview.

    The median comes from a histogram of whole days (one GROUP BY, at most a few
    hundred rows), so it is exact and bounded on both dialects. `closed_deals` and
    `interviews` may come from the caller, which has them already.
    """
    if closed_deals is None:
        closed_deals, = _totals(session, ("segment",), since, until)
    counts = (interviews or interview_counts(session, since=since, until=until)).by_status()
    r = deal_rollups.rows(session, "days", since, until)
    histogram = [(int(d), int(n)) for d, n in session.exec(
        select(r.c.ref_id, sa.func.sum(r.c.n)).group_by(r.c.ref_id)).all() if d is not None]
    return Scorecard(
        closed_deals=closed_deals,
        requested=sum(counts.values()),
        scheduled=counts.get("scheduled", 0),
        completed=counts.get("completed", 0),
        declined=counts.get("declined", 0),
        no_response=counts.get("no_response", 0),
        median_days_to_interview=median_from_histogram(histogram),
        timed=sum(n for _d, n in histogram),
    )
