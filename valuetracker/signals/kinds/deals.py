"""Signal kinds about deals, links and the renewal: a deal lost, a link unanswered,
and the renewal at risk (which reads the other kinds' results, and the quarter's send
and coverage of `summaries/scope.py` and `summaries/coverage.py`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ... import links as link_rules
from ...models import (
    AccessLink,
    Account,
    Deal,
    DecisionFactor,
    Stakeholder,
    WinLossInterview,
)
from ...stakeholders import (
    active_condition,
)
from ..registry import Context, Fact, kind
from .common import (
    DEAL_LOST_DAYS,
    LINK_UNANSWERED_DAYS,
    RENEWAL_DAYS,
    account_link,
    day_of,
    page_link,
    person_label,
)

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


@kind(name="link_unanswered", label="Link unanswered for 14 days", severity="low",
      weight=5, link=page_link("value.overview", "#links"),
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
                 day_of(created) + timedelta(days=LINK_UNANSWERED_DAYS),
                 f"{person_label(name, title)} has not answered the {what[purpose]} link sent on "
                 f"{day_of(created).isoformat()}.", stakeholder_id=sid, subject_type="link",
                 subject_id=lid)
            for lid, account_id, purpose, created, sid, name, title in rows]


# --- renewal (reads the other kinds' results) ---------------------------------------------


@kind(name="renewal_at_risk", label="Renewal within 90 days at risk", severity="high",
      weight=20, after=True, link=account_link(),
      clears="The renewal date passes or moves out of the next 90 days, or no high signal is "
             "open and every key stakeholder in the quarter's send was sent its summary.",
      next_step="Plan the renewal review: clear the high signals and send the quarter's "
                "summary to every key stakeholder.")
def renewal_at_risk(session: Session, ctx: Context, found: list[tuple[Any, Fact]]
                    ) -> list[Fact]:
    from ...summaries.coverage import coverage_by_account

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
