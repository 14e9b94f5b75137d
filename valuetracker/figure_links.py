"""Which list opens the rows behind a figure: the list's query-string arguments for each
figure, built from the filters that count what the figure counts (the lists apply the
same SQL conditions as the figures: `winloss.deals.closed_in_period`, `shown_owner`,
`metrics.counted_currency`, `ValueCommitment.due_condition`, the coverage and NPS
conditions). docs/lists.md names which figure links where.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .quarters import QuarterError, parse_quarter
from .winloss.deals import ANY_CLOSED, NONE_LABEL


def closed_period_args(since: date | None, until: date | None) -> dict[str, str]:
    """The deal (or interview) list's close-date range of an analytics period."""
    args = {"outcome": ANY_CLOSED}
    if since is not None:
        args["closed_from"] = since.isoformat()
    if until is not None:
        args["closed_to"] = until.isoformat()
    return args


def win_rate_group_args(by: str, group: str, *, since: date | None, until: date | None,
                        start_month: int, competitor_ids: dict[str, int]) -> dict[str, str] | None:
    """The deal list's arguments for one win-rate group's closed deals (any closed
    outcome: the caller sets `outcome` for one), or None when no list holds the group."""
    args = closed_period_args(since, until)
    if by == "segment":
        args["segment"] = group
    elif by == "product":
        args["product"] = group
    elif by == "owner":
        args["rep"] = group
    elif by == "competitor":
        if group == NONE_LABEL:
            args["competitor"] = NONE_LABEL
        elif group in competitor_ids:
            args["competitor"] = str(competitor_ids[group])
        else:
            return None
    elif by == "quarter":
        try:
            quarter = parse_quarter(group, start_month)
        except QuarterError:
            return None  # closed deals without a close date: no range holds them
        start = max(quarter.start, since) if since else quarter.start
        end = min(quarter.end, until) if until else quarter.end
        args["closed_from"], args["closed_to"] = start.isoformat(), end.isoformat()
    else:
        return None
    return args


def with_outcome(args: dict[str, Any] | None, outcome: str) -> dict[str, Any] | None:
    """`args` for the deals of one outcome (`ANY_CLOSED` for all closed ones)."""
    return None if args is None else dict(args, outcome=outcome)


def factor_args(factor_id: int, outcome: str, effect: str) -> dict[str, Any]:
    """The interview list's arguments (over `closed_period_args`) for a factor impact
    figure: the completed interviews of `outcome`'s deals that rate the factor
    (`effect="rated"`, a mean's "(n)") or name it a win or loss driver."""
    return {"status": "completed", "outcome": outcome or ANY_CLOSED, "factor": factor_id,
            "effect": effect}


def buyer_reason_args(factor_id: int, outcome: str = "",
                      rep_reason_id: int | None = None) -> dict[str, Any]:
    """The interview list's arguments for the completed interviews giving `factor_id` as
    the buyer's primary reason (top reasons), of the deals whose rep gave `rep_reason_id`
    (a rep-versus-buyer pair)."""
    return {"status": "completed", "outcome": outcome or ANY_CLOSED, "reason": factor_id,
            "rep_reason": rep_reason_id}
