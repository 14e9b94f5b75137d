"""The figure sheets: Summary (one row per account) and Win-loss (win rates).

The figures must be exactly the app's (PRODUCT.md definitions). The queries that compute
them are kept apart in `provisional.py` until the value-delivery and win/loss modules
(`valuetracker/value.py`, `valuetracker/winloss.py`) provide them; this module only lays
the figures out in columns, one GROUP BY query per figure and never a query per account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import select

from ..models import DRIVERS, Account, User, label
from . import provisional as figures
from .spec import Column, ExportContext, Sheet

# --- Summary ---------------------------------------------------------------------------


def summary_columns(ctx: ExportContext) -> list[Column]:
    q = ctx.quarter.label
    money = ctx.money_header
    return [
        Column("Account", "text", 28),
        Column("Segment", "text", 16),
        Column("Tier", "text", 10),
        Column("Status", "text", 10),
        Column("Owner", "text", 20),
        *[Column(money(f"{q} {label(d)}"), "money", 16) for d in DRIVERS],
        Column(money(f"Value delivered {q}"), "money", 18),
        Column(money("Value delivered YTD"), "money", 18),
        Column(f"Confirmed share {q}", "percent", 12),
        Column(f"Commitments due {q}", "int", 12),
        Column("Delivered on time", "int", 12),
        Column("On-time rate", "percent", 10),
        Column("NPS at quarter end", "score", 10),
        Column("Pulses (latest per stakeholder)", "int", 12),
        Column("Satisfied but not loyal", "int", 12),
        Column("Key stakeholders sent summary", "int", 12),
        Column("Key stakeholders (active)", "int", 12),
        Column("Coverage", "percent", 10),
        Column("Margin tier", "text", 10),
        Column(f"At-risk reasons (as of {ctx.today.isoformat()})", "text", 60),
    ]


def summary_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    # Each figure is one GROUP BY query returning {account_id: figure}; these dicts hold
    # one small entry per account, never one per value entry, so memory follows the
    # number of accounts, not the data volume.
    value = figures.value_by_account(ctx)
    ytd = figures.value_ytd_by_account(ctx)
    commitments = figures.commitments_by_account(ctx)
    loyalty = figures.loyalty_by_account(ctx)
    coverage = figures.coverage_by_account(ctx)
    tiers = figures.margin_tiers(ctx)
    risks = figures.risk_reasons_by_account(ctx)
    statement = (
        select(Account.id, Account.name, Account.segment, Account.tier, Account.status,
               User.name)
        .outerjoin(User, User.id == Account.owner_id)
        .where(Account.status != "archived", ctx.scope(Account.id))
        .order_by(Account.name)
    )
    for account_id, name, segment, tier, status, owner in ctx.stream(statement):
        v = value.get(account_id, figures.ValueFigures())
        c = commitments.get(account_id, figures.CommitmentFigures())
        lo = loyalty.get(account_id, figures.LoyaltyFigures())
        cov = coverage.get(account_id, figures.CoverageFigures())
        yield (
            name, segment, label(tier), label(status), owner,
            *[v.by_driver.get(d, 0) for d in DRIVERS],
            v.total, ytd.get(account_id, 0), v.confirmed_share,
            c.due, c.on_time, c.on_time_rate,
            lo.nps, lo.respondents, lo.satisfied_not_loyal,
            cov.covered, cov.eligible, cov.coverage,
            label(tiers.get(account_id)) or None,
            "; ".join(risks.get(account_id, [])) or None,
        )


# --- Win-loss --------------------------------------------------------------------------

def winloss_columns(ctx: ExportContext) -> list[Column]:
    return [
        Column("By", "text", 12),
        Column("Group", "text", 26),
        Column("Won", "int", 8),
        Column("Lost", "int", 8),
        Column("No decision", "int", 11),
        Column("Closed deals", "int", 11),
        Column("Win rate", "percent", 10),
        Column("95% CI low", "percent", 10),
        Column("95% CI high", "percent", 10),
        Column("Small sample (<10)", "text", 12),
    ]


def winloss_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    for by in ("segment", "competitor"):
        for group in figures.win_rates(ctx, by=by):
            yield (label(by), group.group, group.won, group.lost, group.no_decision,
                   group.closed, group.win_rate, group.ci_low, group.ci_high,
                   "Yes" if group.small_sample else "No")


def figure_sheets(ctx: ExportContext) -> dict[str, Sheet]:
    q = ctx.quarter.label
    return {
        "Summary": Sheet("Summary", summary_columns(ctx), summary_rows, "No accounts."),
        # Excel forbids "/" in sheet names, so the "Win/loss" sheet is "Win-loss".
        "Win-loss": Sheet("Win-loss", winloss_columns(ctx), winloss_rows,
                          f"No deals closed in {q}."),
    }
