"""Reminders for links nobody answered: one mail, LINK_REMINDER_DAYS days after the link.

A confirmation, pulse or buyer-survey link still open (not used, withdrawn or expired)
LINK_REMINDER_DAYS days (default 7; 0 turns reminders off) after it was sent gets one
reminder: the same link, mailed again through the path of its first mail
(`outreach.email_link`) and signed by whoever sent it. Never to a person who may not be
mailed now (`Stakeholder.contact_block_reason`: opted out, left, erased, no address),
and never twice: the link's `reminded_at` is claimed with a conditional UPDATE and
committed before the mail goes out, so two workers, or a worker and `valuetracker
links remind`, cannot both send it. A mail the server refuses gives the claim back for
the next run; a crash while sending does not (the mail may have left): a reminder may
be missed, never doubled.

`valuetracker links remind` runs this once in its own process; `valuetracker worker`
runs it every minute as a Huey periodic task (`register_tasks`, listed in
`jobs.TASK_MODULES`), which costs one indexed query when nothing is due.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from huey import crontab
from sqlmodel import Session, select

from . import audit, links
from .db import session_scope
from .models import ERASED, AccessLink, Account, Deal, Stakeholder, User, label, utcnow
from .value.outreach import LINK_MAILS, email_link
from .winloss.interviews import may_survey

log = logging.getLogger(__name__)

REMIND_TASK = "links_remind"
# Links reminded in one run at most; the next run takes the rest.
BATCH = 500


@dataclass
class ReminderRun:
    """What one run did: reminders sent, links left alone (with why), mails refused."""

    sent: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (link id, reason)
    failed: int = 0


def reminder_days() -> int:
    """The app's LINK_REMINDER_DAYS (0 or less: no reminders)."""
    return int(current_app.config.get("LINK_REMINDER_DAYS", 7))


def due_links(session: Session, *, now: datetime, days: int,
              limit: int = BATCH) -> list[AccessLink]:
    """Open links sent at least `days` days before `now` and never reminded, oldest first."""
    return list(session.exec(
        select(AccessLink).where(
            AccessLink.purpose.in_(tuple(LINK_MAILS)), links.open_condition(now),
            AccessLink.reminded_at.is_(None),
            AccessLink.created_at <= now - timedelta(days=days))
        .order_by(AccessLink.created_at, AccessLink.id).limit(limit)
    ).all())


@dataclass
class _Mailing:
    stakeholder: Stakeholder
    account: Account
    deal: Deal | None
    sender: User | None


def _mailing(session: Session, link: AccessLink) -> tuple[_Mailing | None, str | None]:
    """Who a reminder goes to and what it names, or why it must not go out."""
    person = session.get(Stakeholder, link.stakeholder_id) if link.stakeholder_id else None
    if person is None:
        return None, ERASED
    reason = person.contact_block_reason(by_email=True)
    if reason:
        return None, reason
    account = session.get(Account, link.account_id) if link.account_id else None
    if account is None or person.account_id != account.id:
        return None, "no longer at this account"
    deal = None
    if link.purpose == "buyer_survey":
        deal = session.get(Deal, link.deal_id) if link.deal_id else None
        if deal is None or not may_survey(session, deal):
            return None, "the deal's interview is done"
    sender = session.get(User, link.created_by_id) if link.created_by_id else None
    return _Mailing(person, account, deal, sender), None


def send_reminders(session: Session, *, now: datetime | None = None) -> ReminderRun:
    """Send the reminders that are due (see the module's text). Commits link by link:
    each claim before its mail, each reminder's audit event after it."""
    run = ReminderRun()
    days = reminder_days()
    if days <= 0:
        return run
    now = now or utcnow()
    for link in due_links(session, now=now, days=days):
        mailing, reason = _mailing(session, link)
        if mailing is None:
            run.skipped.append((link.id or 0, reason or ""))
            continue
        if not links.claim_reminder(session, link, now=now):
            session.rollback()  # someone else reminded it, or it was just answered
            continue
        session.commit()
        try:
            email_link(session, link, links.link_token(link), stakeholder=mailing.stakeholder,
                       account=mailing.account, deal=mailing.deal, sender=mailing.sender,
                       reminder=True)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("reminder of link %s failed: %s", link.id, exc)
            links.release_reminder(session, link, claimed_at=now)
            session.commit()
            run.failed += 1
            continue
        audit.record(session, "remind", "access_link", link.id, _summary(link, mailing))
        session.commit()
        run.sent += 1
    return run


def _summary(link: AccessLink, mailing: _Mailing) -> str:
    if mailing.deal is not None:
        # No name: the survey's answers may come back anonymized.
        return f"reminder of the buyer survey for deal {mailing.deal.name} sent"
    return f"reminder of the {label(link.purpose).lower()} link sent to " \
           f"{mailing.stakeholder.name}"


# -- the worker's periodic task -------------------------------------------------------------


def register_tasks(huey: Any, app: Flask) -> None:
    """Register the periodic reminder task on the app's Huey instance: every minute, on
    every consumer started with periodic tasks (`valuetracker worker`). Several worker
    nodes each run it; the claim on the link keeps each reminder single."""
    @huey.periodic_task(crontab(), name=REMIND_TASK, retries=0)
    def remind_links() -> None:
        with app.app_context(), session_scope(app.extensions["valuetracker.engine"]) as session:
            run = send_reminders(session)
        if run.sent or run.failed:
            log.info("link reminders: %d sent, %d refused by the mail server",
                     run.sent, run.failed)

    huey.remind_links = remind_links


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Nothing to recover: a lost run is the next minute's run."""
    return 0
