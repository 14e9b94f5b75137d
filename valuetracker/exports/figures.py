"""The figure sheets: Summary (one row per account) and Win-loss (win rates).

The figures are the app's own (docs/definitions.md): coverage, margin tiers, health and
win rates come from the value, summaries, signals and win/loss modules' functions;
value, commitments and loyalty per account come from per_account.py, one GROUP BY each,
built from the value module's SQL. Never a query per account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import select

from .. import signals, winloss
from .. import value as value_figures
from ..models import DRIVERS, Account, Competitor, Deal, DealCompetitor, User, label
from ..summaries.coverage import coverage_by_account
from ..winloss.analytics import NONE_LABEL, WinRateRow
from ..winloss.deals import closed_in_period
from . import per_account
from .spec import Column, ExportContext, Sheet, columns

# --- Summary ---------------------------------------------------------------------------


def summary_columns(ctx: ExportContext) -> list[Column]:
    q = ctx.quarter.label
    return [
        *columns(ctx, """
            Account
            Segment
            Tier   | text | 10
            Status | text | 10
            Owner
        """),
        *[Column(ctx.money_header(f"{q} {label(d)}"), "money", 16) for d in DRIVERS],
        *columns(ctx, f"""
            Value delivered {q}             | money   | 18
            Value delivered YTD             | money   | 18
            Confirmed share {q}             | percent | 12
            Commitments due {q}             | int     | 12
            Delivered on time               | int     | 12
            On-time rate                    | percent | 10
            NPS at quarter end              | score   | 10
            Pulses (latest per stakeholder) | int     | 12
            Satisfied but not loyal         | int     | 12
            Key stakeholders sent summary   | int     | 12
            Key stakeholders in the send    | int     | 12
            Coverage                        | percent | 10
            Margin tier                     | text    | 10
            Health score                    | int     | 10
            Health band                     | text    | 10
            Top signals                     | text    | 80
        """),
    ]


def summary_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    session = ctx.session
    # Each figure is fetched once for all accounts as {account_id: figure}: one small
    # entry per account, never one per value entry, so memory follows the number of
    # accounts, not the data volume.
    value = per_account.value_by_account(ctx)
    commitments = per_account.commitments_by_account(ctx)
    loyalty = per_account.loyalty_by_account(ctx)
    coverage = {c.account_id: c for c in
                coverage_by_account(session, ctx.quarter, ctx.scope(Account.id))}
    # A tier is portfolio-wide (ranked over every account), as on the portfolio page.
    tiers = {t.id: t.tier for t in
             value_figures.margin_tiers(session, account_ids=ctx.account_ids())}
    # Health is today's (signals are computed for active accounts only).
    health_scores = signals.scores(session, account_ids=ctx.account_ids())
    top_signals = signals.top_signals_text(session, account_ids=ctx.account_ids())
    statement = (
        select(Account.id, Account.name, Account.segment, Account.tier, Account.status,
               sa.func.coalesce(User.name, Account.owner_name))
        .outerjoin(User, User.id == Account.owner_id)
        .where(Account.status != "archived", ctx.scope(Account.id))
        .order_by(Account.name)
    )
    for account_id, name, segment, tier, status, owner in ctx.stream(statement):
        v = value.get(account_id, per_account.ValueFigures())
        c = commitments.get(account_id, per_account.NO_COMMITMENTS)
        lo = loyalty.get(account_id, per_account.NO_PULSES)
        cov = coverage.get(account_id)
        yield (
            name, segment, label(tier), label(status), owner,
            *[v.by_driver.get(d, 0) for d in DRIVERS],
            v.total, v.year_to_date, v.confirmed_share,
            c.due, c.on_time, c.rate,
            lo.nps, lo.respondents, lo.satisfied_not_loyal,
            cov.sent if cov else 0, cov.eligible if cov else 0, cov.rate if cov else None,
            label(tiers.get(account_id)) or None,
            *_health(status, health_scores.get(account_id, signals.MAX_SCORE),
                     top_signals.get(account_id)),
        )


def _health(status: str, score: int, top: str | None) -> tuple[Any, Any, Any]:
    """Health score, band and top signals; blank for an account that is not active."""
    if status != "active":
        return None, None, None
    return score, signals.band(score), top


# --- Win-loss --------------------------------------------------------------------------

WINLOSS_COLUMNS = """
    By                 | text    | 12
    Group              | text    | 26
    Won                | int     | 8
    Lost               | int     | 8
    No decision        | int     | 11
    Closed deals       | int     | 11
    Win rate           | percent | 10
    95% CI low         | percent | 10
    95% CI high        | percent | 10
    Small sample (<10) | text    | 12
"""


def scoped_win_rates(ctx: ExportContext, *, by: str) -> list[WinRateRow]:
    """`winloss.win_rates` for deals of the export's accounts only.

    The same query as the win/loss module's (deals closed in the period, grouped by the
    account's segment or by each competitor met; empty and missing groups are "(none)"),
    with the export's account scope added — the win/loss function has no scope, as only
    roles that see every account use its page.
    """
    won, lost, nd = (func.coalesce(func.sum(sa.case((Deal.outcome == o, 1), else_=0)), 0)
                     for o in ("won", "lost", "no_decision"))
    if by == "segment":
        key = Account.segment
        statement = select(key, won, lost, nd).select_from(Deal).join(
            Account, Account.id == Deal.account_id, isouter=True)
    elif by == "competitor":
        key = Competitor.name
        statement = (select(key, won, lost, nd).select_from(Deal)
                     .join(DealCompetitor, DealCompetitor.deal_id == Deal.id, isouter=True)
                     .join(Competitor, Competitor.id == DealCompetitor.competitor_id,
                           isouter=True))
    else:
        raise ValueError(f"cannot group by {by!r}")
    q = ctx.quarter
    statement = statement.where(*closed_in_period(q.start, q.end),
                                ctx.scope(Deal.account_id)).group_by(key)
    merged: dict[str, WinRateRow] = {}
    for name, w, lo, n in ctx.session.execute(statement):
        group = name if name not in (None, "") else NONE_LABEL
        row = merged.setdefault(group, WinRateRow(group, 0, 0, 0))
        row.won, row.lost, row.no_decision = (row.won + int(w), row.lost + int(lo),
                                              row.no_decision + int(n))
    return sorted(merged.values(), key=lambda r: r.group.casefold())


def win_rates(ctx: ExportContext, *, by: str) -> list[WinRateRow]:
    """Win rates of deals closed in the quarter: the app's own figures for an export of
    every account, the same query scoped to the export's accounts otherwise."""
    if ctx.all_accounts:
        q = ctx.quarter
        return winloss.win_rates(ctx.session, by=by, since=q.start, until=q.end)
    return scoped_win_rates(ctx, by=by)


def winloss_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    for by in ("segment", "competitor"):
        for group in win_rates(ctx, by=by):
            yield (label(by), group.group, group.won, group.lost, group.no_decision,
                   group.closed, group.win_rate, group.ci_low, group.ci_high,
                   "Yes" if group.small_sample else "No")


def figure_sheets(ctx: ExportContext) -> dict[str, Sheet]:
    q = ctx.quarter.label
    return {
        "Summary": Sheet("Summary", summary_columns(ctx), summary_rows, "No accounts."),
        # Excel forbids "/" in sheet names, so the "Win/loss" sheet is "Win-loss".
        "Win-loss": Sheet("Win-loss", columns(ctx, WINLOSS_COLUMNS), winloss_rows,
                          f"No deals closed in {q}."),
    }
