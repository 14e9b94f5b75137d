"""Signal kinds about people and the relationship: who left, detractors, satisfied
but not loyal, key people not contacted, single-threaded, no economic buyer. Each uses
the coverage conditions of `stakeholders.py` and the loyalty rules of `models/value.py`
(each person's latest pulse from `value.metrics`)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ...models import (
    Account,
    Stakeholder,
    detractor_condition,
    label,
    satisfied_not_loyal_condition,
)
from ...stakeholders import (
    ENGAGED_WITHIN_DAYS,
    MIN_ENGAGED,
    economic_buyer_condition,
    engaged_condition,
    key_active_condition,
    key_left_condition,
    key_stale_condition,
)
from ...value.metrics import latest_pulses_subquery
from ..registry import Context, Fact, kind
from .common import (
    LEFT_WINDOW_DAYS,
    account_link,
    day_of,
    person_label,
    stakeholder_link,
)

# --- people ---------------------------------------------------------------------------


@kind(name="key_stakeholder_left", label="Key stakeholder or champion left", severity="high",
      weight=25, link=stakeholder_link,
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
        facts.append(Fact(account_id, f"stakeholder:{sid}", day_of(left),
                          f"{person_label(name, title)}, a {who}, left the company on "
                          f"{day_of(left).isoformat()}.",
                          stakeholder_id=sid, subject_type="stakeholder", subject_id=sid))
    return facts


@kind(name="key_detractor", label="Key stakeholder is a detractor", severity="high", weight=20,
      link=stakeholder_link,
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
            message = (f"{person_label(name, title)} is a detractor: would recommend us "
                       f"{recommend} of 10 in the pulse of {taken.isoformat()}.")
            facts.append(Fact(account_id, f"stakeholder:{sid}", taken, message,
                              stakeholder_id=sid, subject_type="pulse", subject_id=pulse_id,
                              details={"recommend": recommend}))
        else:
            facts.append(Fact(account_id, f"stakeholder:{sid}", day_of(updated),
                              f"{person_label(name, title)} is recorded as a detractor.",
                              stakeholder_id=sid, subject_type="stakeholder", subject_id=sid,
                              details={"sentiment": sentiment}))
    return facts


@kind(name="satisfied_not_loyal", label="Satisfied but not loyal", severity="medium",
      weight=10, link=stakeholder_link,
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
                 f"{person_label(name, title)} is satisfied ({satisfaction} of 5) but would "
                 f"not definitely buy again (“{label(intent)}”, pulse of {taken.isoformat()}).",
                 stakeholder_id=sid, subject_type="pulse", subject_id=pulse_id)
            for sid, account_id, name, title, pulse_id, satisfaction, intent, taken in rows]


@kind(name="key_not_contacted", label="Key stakeholder not contacted in 90 days",
      severity="low", weight=5, link=stakeholder_link,
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
            message = (f"{person_label(name, title)} has not been contacted since "
                       f"{last.isoformat()}.")
        else:
            since = day_of(created)
            message = f"{person_label(name, title)} has never been contacted."
        facts.append(Fact(account_id, f"stakeholder:{sid}", min(since, ctx.today), message,
                          stakeholder_id=sid, subject_type="stakeholder", subject_id=sid))
    return facts


# --- relationship coverage ---------------------------------------------------------------


@kind(name="single_threaded", label="Single-threaded", severity="medium", weight=10,
      link=account_link("#relationships"),
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
      link=account_link("#relationships"),
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
