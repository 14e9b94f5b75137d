"""Signal kinds about value and loyalty: value disputed, none logged lately, a low
confirmed share, overdue commitments and a fall of the account's NPS. Each uses the
value rules of `models/value.py` and `value.metrics`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from sqlmodel import Session, select

from ...models import (
    Account,
    Stakeholder,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    detractor_condition,
    promoter_condition,
)
from ...value.metrics import counted_currency, latest_pulses_subquery
from ..registry import Context, Fact, kind
from .common import (
    CONFIRM_GRACE_DAYS,
    LOW_SHARE,
    NO_VALUE_DAYS,
    NPS_DROP,
    day_of,
    page_link,
)

# --- value -------------------------------------------------------------------------------


@kind(name="value_disputed", label="Value disputed", severity="high", weight=15,
      link=lambda signal, slug: url_for("value.log", slug=slug) + f"#entry-{signal.subject_id}",
      clears="The entry is no longer disputed (confirmed, corrected or deleted).",
      next_step="Resolve the dispute with the person who disputed it: agree on the figure "
                "and record their confirmation.")
def value_disputed(session: Session, ctx: Context) -> list[Fact]:
    # The entry's latest disputing answer, probed per disputed entry (entry_id index).
    latest = (select(sa.func.max(ValueConfirmation.id))
              .where(ValueConfirmation.entry_id == ValueEntry.id,
                     ValueConfirmation.response == "disputed")
              .correlate(ValueEntry).scalar_subquery())
    rows = session.exec(
        select(ValueEntry.id, ValueEntry.account_id, ValueEntry.title, ValueEntry.updated_at,
               ValueConfirmation.responded_at, ValueConfirmation.stakeholder_id,
               Stakeholder.name)
        .join(Account, ctx.accounts(ValueEntry.account_id))
        .outerjoin(ValueConfirmation, ValueConfirmation.id == latest)
        .outerjoin(Stakeholder, sa.and_(Stakeholder.id == ValueConfirmation.stakeholder_id,
                                        Stakeholder.erased_at.is_(None)))
        .where(ValueEntry.evidence_status == "disputed", ctx.of(ValueEntry.account_id))
    ).all()
    facts = []
    for entry_id, account_id, title, updated, answered, sid, name in rows:
        who = name or "The customer"
        facts.append(Fact(account_id, f"entry:{entry_id}", day_of(answered or updated),
                          f"{who} disputed the value entry “{title}”.",
                          stakeholder_id=sid if name else None, subject_type="value_entry",
                          subject_id=entry_id))
    return facts


@kind(name="no_recent_value", label="No value logged in 90 days", severity="medium",
      weight=15, link=page_link("value.log"),
      clears="A value entry delivered in the last 90 days is logged.",
      next_step="Log the value delivered lately, or plan a delivery with the customer.")
def no_recent_value(session: Session, ctx: Context) -> list[Fact]:
    cutoff = ctx.today - timedelta(days=NO_VALUE_DAYS)
    # A range probe of the (account_id, delivered_on) index: only recent entries are read.
    recent = (select(ValueEntry.id)
              .where(ValueEntry.account_id == Account.id, ValueEntry.delivered_on >= cutoff,
                     ValueEntry.counted_condition())
              .correlate(Account).exists())
    quiet = session.exec(select(Account.id, Account.name, Account.created_at)
                         .where(ctx.accounts(), ~recent)).all()
    if not quiet:
        return []
    lasts = dict(session.exec(
        select(ValueEntry.account_id, sa.func.max(ValueEntry.delivered_on))
        .where(ValueEntry.account_id.in_([q[0] for q in quiet]),
               ValueEntry.counted_condition())
        .group_by(ValueEntry.account_id)).all())
    rows = [(account_id, name, created, lasts.get(account_id))
            for account_id, name, created in quiet]
    facts = []
    for account_id, name, created, last_day in rows:
        if last_day is None:
            since, message = day_of(created), f"No value has been logged at {name} yet."
        else:
            since = last_day + timedelta(days=NO_VALUE_DAYS)
            message = (f"No value logged at {name} since {last_day.isoformat()} "
                       f"(over {NO_VALUE_DAYS} days).")
        facts.append(Fact(account_id, "account", min(since, ctx.today), message,
                          subject_type="account", subject_id=account_id,
                          details={"last_delivered": last_day.isoformat() if last_day else None}))
    return facts


@kind(name="low_confirmed_share", label="Confirmed share under 25% this year",
      severity="medium", weight=10,
      link=page_link("value.overview", "#confirmations"),
      clears="At least 25% of this fiscal year's value delivered (in currency) is confirmed "
             "by the customer; value under 30 days old that the customer has not answered "
             "about yet is left out.",
      next_step="Ask the beneficiaries to confirm this year's value (send confirmation links).")
def low_confirmed_share(session: Session, ctx: Context) -> list[Fact]:
    year_start = ctx.quarter.year_start
    confirmed = sa.func.sum(sa.case((ValueEntry.evidence_status == "confirmed",
                                     ValueEntry.amount), else_=sa.literal(0)))
    total = sa.func.sum(ValueEntry.amount)
    # Left out: recent value the customer has not answered about yet (a disputed one counts).
    answered_or_old = sa.or_(
        ValueEntry.evidence_status != "claimed",
        ValueEntry.delivered_on <= ctx.today - timedelta(days=CONFIRM_GRACE_DAYS))
    rows = session.exec(
        select(Account.id, Account.name, confirmed, total)
        .join(ValueEntry, ValueEntry.account_id == Account.id)
        .where(ctx.accounts(), counted_currency(), ValueEntry.delivered_on >= year_start,
               ValueEntry.delivered_on <= ctx.today, answered_or_old)
        .group_by(Account.id, Account.name)
        .having(total > 0)
    ).all()
    facts = []
    for account_id, name, conf, tot in rows:
        share = Decimal(str(conf or 0)) / Decimal(str(tot))
        if share < LOW_SHARE:
            facts.append(Fact(account_id, f"year:{year_start.year}", ctx.today,
                              f"Only {share * 100:.0f}% of this year's value at {name} is "
                              "confirmed by the customer.", subject_type="account",
                              subject_id=account_id, details={"share": f"{share:.4f}"}))
    return facts


@kind(name="commitment_overdue", label="Commitment overdue", severity="high", weight=15,
      link=page_link("value.overview", "#commitments"),
      clears="The commitment is delivered, or marked missed or dropped.",
      next_step="Deliver it or agree a new date with the customer, and update its status.")
def commitment_overdue(session: Session, ctx: Context) -> list[Fact]:
    overdue = ValueCommitment.overdue_condition(ctx.today)
    rows = session.exec(
        select(ValueCommitment.id, ValueCommitment.account_id, ValueCommitment.title,
               ValueCommitment.due_on)
        .join(Account, ctx.accounts(ValueCommitment.account_id))
        .where(overdue)
    ).all()
    return [Fact(account_id, f"commitment:{cid}", due + timedelta(days=1),
                 f"The commitment “{title}” was due on {due.isoformat()} and is not delivered.",
                 subject_type="commitment", subject_id=cid)
            for cid, account_id, title, due in rows]


# --- loyalty -----------------------------------------------------------------------------


@kind(name="nps_drop", label="NPS fell by 20 points or more", severity="high", weight=15,
      link=page_link("value.pulses"),
      clears="The account's NPS is less than 20 points below the previous quarter's.",
      next_step="Read the latest pulses and comments, and call the detractors.")
def nps_drop(session: Session, ctx: Context) -> list[Fact]:
    previous_end = ctx.quarter.previous().end

    def per_account(as_of: date | None) -> dict[int, tuple[int, int, int]]:
        latest = latest_pulses_subquery(account_ids=ctx.account_ids, as_of=as_of)
        promoters = sa.func.sum(sa.case((promoter_condition(latest.c.recommend), 1), else_=0))
        detractors = sa.func.sum(sa.case((detractor_condition(latest.c.recommend), 1),
                                         else_=0))
        rows = session.exec(
            select(latest.c.account_id, sa.func.count(), promoters, detractors)
            .select_from(latest).join(Account, ctx.accounts(latest.c.account_id))
            .group_by(latest.c.account_id)).all()
        return {a: (int(n), int(p or 0), int(d or 0)) for a, n, p, d in rows}

    def score(counts: tuple[int, int, int]) -> Decimal:
        n, p, d = counts
        return Decimal(100) * (p - d) / n

    before, now = per_account(previous_end), per_account(None)
    names = dict(session.exec(select(Account.id, Account.name)
                              .where(Account.id.in_(sorted(set(before) & set(now))))).all()
                 ) if set(before) & set(now) else {}
    facts = []
    for account_id in sorted(set(before) & set(now)):
        was, is_ = score(before[account_id]), score(now[account_id])
        if was - is_ >= NPS_DROP:
            facts.append(Fact(account_id, f"quarter:{ctx.quarter.label}", ctx.today,
                              f"NPS at {names[account_id]} fell from {was:.0f} to {is_:.0f} "
                              f"since {ctx.quarter.previous().label}.", subject_type="account",
                              subject_id=account_id,
                              details={"before": f"{was:.1f}", "now": f"{is_:.1f}"}))
    return facts
