"""The signal kinds (docs/signals.md lists them with their severities and weights).

Each uses the app's one definition of its rule: the coverage conditions of
`stakeholders.py` (engaged, economic buyer, key not contacted, left), "last contacted"
as `activities/contact.py` keeps it, the loyalty rules of `models/value.py` (detractor,
satisfied but not loyal, each person's latest pulse from `value.metrics`), the open and
overdue commitment rules, the open-link rule of `links.py`, and the quarter's send and
coverage of `summaries/scope.py` and `summaries/coverage.py`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from .. import links as link_rules
from ..models import (
    AccessLink,
    Account,
    Deal,
    DecisionFactor,
    Stakeholder,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    WinLossInterview,
    detractor_condition,
    label,
    promoter_condition,
    satisfied_not_loyal_condition,
)
from ..stakeholders import (
    ENGAGED_WITHIN_DAYS,
    MIN_ENGAGED,
    active_condition,
    economic_buyer_condition,
    engaged_condition,
    key_active_condition,
    key_left_condition,
    key_stale_condition,
)
from ..value.metrics import counted_currency, latest_pulses_subquery
from .registry import Context, Fact, kind

# Windows of the rules (days).
NO_VALUE_DAYS = 90
LEFT_WINDOW_DAYS = 90  # a departure stays a signal this long unless a successor is mapped
RENEWAL_DAYS = 90
DEAL_LOST_DAYS = 90
LINK_UNANSWERED_DAYS = 14
LOW_SHARE = Decimal("0.25")
NPS_DROP = 20


def _person(name: str, title: str | None) -> str:
    return f"{name} ({title})" if title else name


def _day(moment: Any) -> date:
    return moment.date() if hasattr(moment, "date") and callable(moment.date) else moment


def _stakeholder_link(signal: Any, slug: str) -> str:
    """The person's page; the account's when the signal names nobody (e.g. a pulse or an
    answer whose person was erased since, or a data load without the link)."""
    if signal.stakeholder_id is None:
        return url_for("accounts.show", slug=slug)
    return url_for("stakeholders.show", stakeholder_id=signal.stakeholder_id)


def _account_link(anchor: str = "") -> Any:
    return lambda signal, slug: url_for("accounts.show", slug=slug) + anchor


# --- people ---------------------------------------------------------------------------


@kind(name="key_stakeholder_left", label="Key stakeholder or champion left", severity="high",
      weight=25, link=_stakeholder_link,
      clears="A successor is mapped (a key stakeholder or champion added after they left), "
             "they are marked as back at the company, or 90 days pass.",
      next_step="Find and map their successor, and brief them on the value delivered.")
def key_stakeholder_left(session: Session, ctx: Context) -> list[Fact]:
    successor = aliased(Stakeholder, name="successor")
    mapped_after = (select(successor.id)
                    .where(successor.account_id == Stakeholder.account_id,
                           successor.id != Stakeholder.id,
                           sa.or_(successor.is_key.is_(True),
                                  successor.buying_role == "champion"),
                           successor.created_at > Stakeholder.left_company_at,
                           successor.left_company_at.is_(None), successor.erased_at.is_(None))
                    .exists())
    champion_left = sa.and_(Stakeholder.buying_role == "champion",
                            Stakeholder.left_company_at.is_not(None),
                            Stakeholder.erased_at.is_(None))
    window = ctx.now - timedelta(days=LEFT_WINDOW_DAYS)
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.account_id, Stakeholder.name, Stakeholder.title,
               Stakeholder.buying_role, Stakeholder.left_company_at)
        .join(Account, ctx.accounts(Stakeholder.account_id))
        .where(sa.or_(key_left_condition(), champion_left),
               Stakeholder.left_company_at >= window, ~mapped_after)
    ).all()
    facts = []
    for sid, account_id, name, title, role, left in rows:
        who = "champion" if role == "champion" else "key stakeholder"
        facts.append(Fact(account_id, f"stakeholder:{sid}", _day(left),
                          f"{_person(name, title)}, a {who}, left the company on "
                          f"{_day(left).isoformat()}.",
                          stakeholder_id=sid, subject_type="stakeholder", subject_id=sid))
    return facts


@kind(name="key_detractor", label="Key stakeholder is a detractor", severity="high",
      weight=20, link=_stakeholder_link,
      clears="Their latest pulse is no longer a detractor's (0-6) and their sentiment is not "
             "`detractor`, or they stop being a key stakeholder at the company.",
      next_step="Call them to hear what went wrong, and agree on a recovery plan.")
def key_detractor(session: Session, ctx: Context) -> list[Fact]:
    latest = latest_pulses_subquery(account_ids=ctx.account_ids)
    pulse_detractor = sa.and_(latest.c.id.is_not(None), detractor_condition(latest.c.recommend))
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.account_id, Stakeholder.name, Stakeholder.title,
               Stakeholder.sentiment, Stakeholder.updated_at, latest.c.id, latest.c.recommend,
               latest.c.taken_on, pulse_detractor)
        .join(Account, ctx.accounts(Stakeholder.account_id))
        .outerjoin(latest, latest.c.stakeholder_id == Stakeholder.id)
        .where(key_active_condition(),
               sa.or_(Stakeholder.sentiment == "detractor", pulse_detractor))
    ).all()
    facts = []
    for (sid, account_id, name, title, sentiment, updated, pulse_id, recommend, taken,
         by_pulse) in rows:
        if by_pulse:
            message = (f"{_person(name, title)} is a detractor: would recommend us "
                       f"{recommend} of 10 in the pulse of {taken.isoformat()}.")
            facts.append(Fact(account_id, f"stakeholder:{sid}", taken, message,
                              stakeholder_id=sid, subject_type="pulse", subject_id=pulse_id,
                              details={"recommend": recommend}))
        else:
            facts.append(Fact(account_id, f"stakeholder:{sid}", _day(updated),
                              f"{_person(name, title)} is recorded as a detractor.",
                              stakeholder_id=sid, subject_type="stakeholder", subject_id=sid,
                              details={"sentiment": sentiment}))
    return facts


@kind(name="satisfied_not_loyal", label="Satisfied but not loyal", severity="medium",
      weight=10, link=_stakeholder_link,
      clears="Their latest pulse says they would definitely buy again, or satisfaction "
             "falls below 4 (then other signals take over).",
      next_step="Ask what would make them definitely buy again, and show the value "
                "delivered against their priorities.")
def satisfied_not_loyal(session: Session, ctx: Context) -> list[Fact]:
    latest = latest_pulses_subquery(account_ids=ctx.account_ids)
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.account_id, Stakeholder.name, Stakeholder.title,
               latest.c.id, latest.c.satisfaction, latest.c.repurchase_intent,
               latest.c.taken_on)
        .select_from(latest)
        .join(Stakeholder, Stakeholder.id == latest.c.stakeholder_id)
        .join(Account, ctx.accounts(Stakeholder.account_id))
        .where(key_active_condition(),
               satisfied_not_loyal_condition(latest.c.satisfaction, latest.c.repurchase_intent))
    ).all()
    return [Fact(account_id, f"stakeholder:{sid}", taken,
                 f"{_person(name, title)} is satisfied ({satisfaction} of 5) but would "
                 f"not definitely buy again (“{label(intent)}”, pulse of {taken.isoformat()}).",
                 stakeholder_id=sid, subject_type="pulse", subject_id=pulse_id)
            for sid, account_id, name, title, pulse_id, satisfaction, intent, taken in rows]


@kind(name="key_not_contacted", label="Key stakeholder not contacted in 90 days",
      severity="low", weight=5, link=_stakeholder_link,
      clears="A call, meeting or e-mail with them is logged, or they answer a link or pulse "
             "(their \"last contacted\").",
      next_step="Get in touch: log the call, meeting or e-mail on their timeline.")
def key_not_contacted(session: Session, ctx: Context) -> list[Fact]:
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.account_id, Stakeholder.name, Stakeholder.title,
               Stakeholder.last_contacted_on, Stakeholder.created_at)
        .join(Account, ctx.accounts(Stakeholder.account_id))
        .where(key_stale_condition(ctx.today))
    ).all()
    facts = []
    for sid, account_id, name, title, last, created in rows:
        if last is not None:
            since = last + timedelta(days=ENGAGED_WITHIN_DAYS)
            message = f"{_person(name, title)} has not been contacted since {last.isoformat()}."
        else:
            since = _day(created)
            message = f"{_person(name, title)} has never been contacted."
        facts.append(Fact(account_id, f"stakeholder:{sid}", min(since, ctx.today), message,
                          stakeholder_id=sid, subject_type="stakeholder", subject_id=sid))
    return facts


# --- relationship coverage ---------------------------------------------------------------


@kind(name="single_threaded", label="Single-threaded", severity="medium", weight=10,
      link=_account_link("#relationships"),
      clears=f"At least {MIN_ENGAGED} contacts are engaged (contacted in the last 90 days, "
             "at the company, not opted out).",
      next_step="Meet a second person at the account: map who else decides and get in touch.")
def single_threaded(session: Session, ctx: Context) -> list[Fact]:
    engaged = sa.case((engaged_condition(ctx.today), Stakeholder.id), else_=None)
    engaged_name = sa.case((engaged_condition(ctx.today), Stakeholder.name), else_=None)
    rows = session.exec(
        select(Account.id, Account.name, sa.func.count(engaged), sa.func.min(engaged_name),
               sa.func.min(engaged))
        .outerjoin(Stakeholder, Stakeholder.account_id == Account.id)
        .where(ctx.accounts())
        .group_by(Account.id, Account.name)
        .having(sa.func.count(engaged) < MIN_ENGAGED)
    ).all()
    facts = []
    for account_id, account_name, count, name, sid in rows:
        message = (f"{name} is the only engaged contact at {account_name}." if count
                   else f"Nobody at {account_name} has been contacted in the last 90 days.")
        facts.append(Fact(account_id, "account", ctx.today, message,
                          stakeholder_id=sid if count else None, subject_type="account",
                          subject_id=account_id, details={"engaged": count}))
    return facts


@kind(name="no_economic_buyer", label="No economic buyer", severity="medium", weight=10,
      link=_account_link("#relationships"),
      clears="A stakeholder at the company is recorded with the buying role "
             "`economic_buyer`.",
      next_step="Find out who signs the budget and add them as the economic buyer.")
def no_economic_buyer(session: Session, ctx: Context) -> list[Fact]:
    buyer = (select(Stakeholder.id).where(Stakeholder.account_id == Account.id,
                                          economic_buyer_condition()).exists())
    rows = session.exec(select(Account.id, Account.name).where(ctx.accounts(), ~buyer)).all()
    return [Fact(account_id, "account", ctx.today,
                 f"No economic buyer is recorded at {name}.", subject_type="account",
                 subject_id=account_id) for account_id, name in rows]


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
        facts.append(Fact(account_id, f"entry:{entry_id}", _day(answered or updated),
                          f"{who} disputed the value entry “{title}”.",
                          stakeholder_id=sid if name else None, subject_type="value_entry",
                          subject_id=entry_id))
    return facts


@kind(name="no_recent_value", label="No value logged in 90 days", severity="medium",
      weight=15, link=lambda signal, slug: url_for("value.log", slug=slug),
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
            since, message = _day(created), f"No value has been logged at {name} yet."
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
      link=lambda signal, slug: url_for("value.overview", slug=slug) + "#confirmations",
      clears="At least 25% of this fiscal year's value delivered (in currency) is confirmed "
             "by the customer.",
      next_step="Ask the beneficiaries to confirm this year's value (send confirmation links).")
def low_confirmed_share(session: Session, ctx: Context) -> list[Fact]:
    year_start = ctx.quarter.year_start
    confirmed = sa.func.sum(sa.case((ValueEntry.evidence_status == "confirmed",
                                     ValueEntry.amount), else_=sa.literal(0)))
    total = sa.func.sum(ValueEntry.amount)
    rows = session.exec(
        select(Account.id, Account.name, confirmed, total)
        .join(ValueEntry, ValueEntry.account_id == Account.id)
        .where(ctx.accounts(), counted_currency(), ValueEntry.delivered_on >= year_start,
               ValueEntry.delivered_on <= ctx.today)
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
      link=lambda signal, slug: url_for("value.overview", slug=slug) + "#commitments",
      clears="The commitment is delivered, or marked missed or dropped.",
      next_step="Deliver it or agree a new date with the customer, and update its status.")
def commitment_overdue(session: Session, ctx: Context) -> list[Fact]:
    rows = session.exec(
        select(ValueCommitment.id, ValueCommitment.account_id, ValueCommitment.title,
               ValueCommitment.due_on)
        .join(Account, ctx.accounts(ValueCommitment.account_id))
        .where(ValueCommitment.overdue_condition(ctx.today))
    ).all()
    return [Fact(account_id, f"commitment:{cid}", due + timedelta(days=1),
                 f"The commitment “{title}” was due on {due.isoformat()} and is not delivered.",
                 subject_type="commitment", subject_id=cid)
            for cid, account_id, title, due in rows]


# --- loyalty -----------------------------------------------------------------------------


@kind(name="nps_drop", label="NPS fell by 20 points or more", severity="high", weight=15,
      link=lambda signal, slug: url_for("value.pulses", slug=slug),
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


# --- deals and links ---------------------------------------------------------------------


@kind(name="deal_lost", label="Deal lost at an existing account", severity="medium",
      weight=10, link=lambda signal, slug: url_for("winloss.deal", deal_id=signal.subject_id),
      clears="90 days after the deal closed, or when its outcome changes.",
      next_step="Debrief the loss with the account team and check the renewal is not at risk.")
def deal_lost(session: Session, ctx: Context) -> list[Fact]:
    # The buyer's primary reason, from the deal's latest completed interview that has one.
    later = aliased(WinLossInterview, name="later_interview")
    newest = ~(select(later.id).where(later.deal_id == WinLossInterview.deal_id,
                                      later.status == "completed",
                                      later.primary_reason_id.is_not(None),
                                      later.id > WinLossInterview.id).exists())
    reason = (select(WinLossInterview.deal_id, DecisionFactor.name.label("reason"))
              .join(DecisionFactor, DecisionFactor.id == WinLossInterview.primary_reason_id)
              .where(WinLossInterview.status == "completed", newest).subquery("reason"))
    rows = session.exec(
        select(Deal.id, Deal.account_id, Deal.name, Deal.closed_on, reason.c.reason)
        .join(Account, ctx.accounts(Deal.account_id))
        .outerjoin(reason, reason.c.deal_id == Deal.id)
        .where(Deal.outcome == "lost", Deal.closed_on.is_not(None),
               Deal.closed_on >= ctx.today - timedelta(days=DEAL_LOST_DAYS))
    ).all()
    facts = []
    for deal_id, account_id, name, closed, why in rows:
        message = f"The deal “{name}” was lost on {closed.isoformat()}"
        message += f"; the buyer's primary reason: {why}." if why else "."
        facts.append(Fact(account_id, f"deal:{deal_id}", closed, message, subject_type="deal",
                          subject_id=deal_id, details={"reason": why}))
    return facts


@kind(name="link_unanswered", label="Link unanswered for 14 days", severity="low", weight=5,
      link=lambda signal, slug: url_for("value.overview", slug=slug) + "#links",
      clears="The link is answered, withdrawn or expires.",
      next_step="Resend the link, or ask them on your next call.")
def link_unanswered(session: Session, ctx: Context) -> list[Fact]:
    rows = session.exec(
        select(AccessLink.id, AccessLink.account_id, AccessLink.purpose, AccessLink.created_at,
               Stakeholder.id, Stakeholder.name, Stakeholder.title)
        .join(Account, ctx.accounts(AccessLink.account_id))
        .join(Stakeholder, Stakeholder.id == AccessLink.stakeholder_id)
        .where(AccessLink.purpose.in_(("confirm_value", "pulse")),
               link_rules.open_condition(ctx.now), active_condition(),
               AccessLink.created_at <= ctx.now - timedelta(days=LINK_UNANSWERED_DAYS))
    ).all()
    what = {"confirm_value": "value confirmation", "pulse": "loyalty pulse"}
    return [Fact(account_id, f"link:{lid}",
                 _day(created) + timedelta(days=LINK_UNANSWERED_DAYS),
                 f"{_person(name, title)} has not answered the {what[purpose]} link sent on "
                 f"{_day(created).isoformat()}.", stakeholder_id=sid, subject_type="link",
                 subject_id=lid)
            for lid, account_id, purpose, created, sid, name, title in rows]


# --- renewal (reads the other kinds' results) ---------------------------------------------


@kind(name="renewal_at_risk", label="Renewal within 90 days at risk", severity="high",
      weight=20, after=True, link=_account_link(),
      clears="The renewal date passes or moves out of the next 90 days, or no high signal is "
             "open and every key stakeholder in the quarter's send was sent its summary.",
      next_step="Plan the renewal review: clear the high signals and send the quarter's "
                "summary to every key stakeholder.")
def renewal_at_risk(session: Session, ctx: Context, found: list[tuple[Any, Fact]]
                    ) -> list[Fact]:
    from ..summaries.coverage import coverage_by_account

    rows = session.exec(
        select(Account.id, Account.name, Account.renewal_date)
        .where(ctx.accounts(), Account.renewal_date.is_not(None),
               Account.renewal_date >= ctx.today,
               Account.renewal_date <= ctx.today + timedelta(days=RENEWAL_DAYS))
    ).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    high: dict[int, list[str]] = {}
    for k, fact in found:
        if k.severity == "high" and fact.account_id in ids:
            high.setdefault(fact.account_id, []).append(k.label.lower())
    missing = {c.account_id: c.eligible - c.sent
               for c in coverage_by_account(session, ctx.quarter, Account.id.in_(ids))
               if c.eligible > c.sent}
    facts = []
    for account_id, name, renewal in rows:
        reasons = []
        if high.get(account_id):
            reasons.append("open high signals: " + ", ".join(sorted(set(high[account_id]))))
        if missing.get(account_id):
            n = missing[account_id]
            reasons.append(f"{n} key stakeholder{'s' if n != 1 else ''} not sent the "
                           f"{ctx.quarter.label} summary")
        if reasons:
            facts.append(Fact(account_id, f"renewal:{renewal.isoformat()}", ctx.today,
                              f"{name} renews on {renewal.isoformat()} with "
                              + "; ".join(reasons) + ".", subject_type="account",
                              subject_id=account_id,
                              details={"renewal": renewal.isoformat(),
                                       "high": sorted(set(high.get(account_id, []))),
                                       "not_sent": missing.get(account_id, 0)}))
    return facts


__all__: list[str] = []
