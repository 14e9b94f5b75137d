"""The digest: one mail per user, daily or weekly as they chose, of what happened on
their accounts since their last digest and what is coming.

What it says (each section only when the user keeps its event's digest channel on):
new and cleared signals of my accounts (signal.opened / signal.closed), my open tasks
due by the end of the period, overdue ones included (task.assigned), the renewals of
my accounts in the next RENEWAL_DAYS days, and the links answered on my accounts
(a confirmation, a pulse, a buyer survey: value.confirmed, pulse.answered,
interview.completed). "My accounts" are those the user owns or is on the team of.
Nothing to say: no mail.

A digest covers [window_start, window_end): from the end of the user's last digest
of that period (or one period back) to the moment it is made. It is sent at most once
per user and period (`DigestSend`, unique per user, period and key such as
"2026-12-02" or "2026-W49"): the row is claimed, and committed, before the mail goes
out, as a summary's Distribution is, so a re-run, a second worker or a restart finds
it taken. A crash while sending leaves it `pending`: missed rather than doubled. A
mail the server refuses is marked `failed` and tried again by the next run.

The worker runs `send_due_digests` every minute (`tasks.py`): the daily digest
once DIGEST_HOUR (UTC) has passed, the weekly one once that hour of DIGEST_WEEKDAY
(0 = Monday) has passed in the ISO week; `valuetracker digest send --period ...`
sends the period's digests at once.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlmodel import Session, select

from .. import links, mail
from ..db import claim_row
from ..models import (
    AccessLink,
    Account,
    AccountMember,
    Deal,
    DigestSend,
    Signal,
    Stakeholder,
    Task,
    User,
    utcnow,
)
from .mailing import FROM_NAME, absolute
from .rules import app_path, preferences, wants

log = logging.getLogger(__name__)

RENEWAL_DAYS = 30
SECTION_LIMIT = 20  # items listed per section; the rest are counted
PERIOD_DAYS = {"daily": 1, "weekly": 7}
# The event whose digest channel keeps each section (renewals have no event: always).
SECTION_EVENTS = {"new_signals": "signal.opened", "cleared_signals": "signal.closed",
                  "tasks_due": "task.assigned"}
ANSWER_EVENTS = {"confirm_value": "value.confirmed", "pulse": "pulse.answered",
                 "buyer_survey": "interview.completed"}
SECTION_TITLES = {"new_signals": "New signals", "cleared_signals": "Signals cleared",
                  "tasks_due": "Your tasks due", "renewals": "Renewals in the next 30 days",
                  "answers": "Links answered"}


# -- periods -----------------------------------------------------------------------------


def period_key(period: str, now: datetime) -> str:
    """"2026-12-02" for a daily digest, "2026-W49" (ISO week) for a weekly one."""
    day = now.astimezone(UTC).date()
    if period == "daily":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_start(period: str, now: datetime) -> datetime:
    """When the period's digest becomes due: DIGEST_HOUR today (daily), or on
    DIGEST_WEEKDAY of this ISO week (weekly)."""
    hour = int(current_app.config.get("DIGEST_HOUR", 7))
    day = now.astimezone(UTC).date()
    if period == "weekly":
        weekday = int(current_app.config.get("DIGEST_WEEKDAY", 0))
        day = day - timedelta(days=day.weekday()) + timedelta(days=weekday)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def is_due(period: str, now: datetime) -> bool:
    return now >= period_start(period, now)


# -- what a digest says ------------------------------------------------------------------


@dataclass
class Item:
    text: str
    url: str


@dataclass
class Section:
    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    more: int = 0  # items not listed (past SECTION_LIMIT)

    @property
    def count(self) -> int:
        return len(self.items) + self.more


@dataclass
class Digest:
    user: User
    period: str
    key: str
    window_start: datetime
    window_end: datetime
    sections: list[Section] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(s.count for s in self.sections)

    @property
    def counts(self) -> dict[str, int]:
        return {s.key: s.count for s in self.sections if s.count}

    def describe(self) -> str:
        """"3 new signals, 1 renewal…", for the CLI's dry run and the subject."""
        return ", ".join(f"{s.count} {s.title.lower()}" for s in self.sections if s.count)


def my_accounts(user: User) -> Any:
    """The ids of the accounts the user owns or is on the team of (a subquery)."""
    owned = select(Account.id).where(Account.owner_id == user.id)
    member = select(AccountMember.account_id).where(AccountMember.user_id == user.id)
    return sa.union(owned, member)


def _section(session: Session, key: str, query: Any, item: Any) -> Section:
    rows = session.exec(query.limit(SECTION_LIMIT + 1)).all()
    section = Section(key, SECTION_TITLES[key], [item(r) for r in rows[:SECTION_LIMIT]])
    if len(rows) > SECTION_LIMIT:
        count_query = select(sa.func.count()).select_from(query.order_by(None).subquery())
        section.more = int(session.execute(count_query).scalar_one()) - SECTION_LIMIT
    return section


def build_digest(session: Session, user: User, period: str, *, window_start: datetime,
                 window_end: datetime, key: str | None = None) -> Digest:
    """The user's digest for the window (its sections; empty ones included)."""
    assert user.id is not None
    prefs = preferences(session, [user.id])
    on = {name: wants(prefs, user.id, event, "digest")
          for name, event in SECTION_EVENTS.items()}
    digest = Digest(user, period, key or period_key(period, window_end), window_start,
                    window_end)
    accounts = my_accounts(user)
    today = window_end.astimezone(UTC).date()
    account_url = app_path("accounts.show", slug="__slug__")

    def at_account(slug: str) -> str:
        return account_url.replace("__slug__", slug)

    def signal_section(name: str, at: Any, *, severity: bool) -> None:
        """The signals opened (or cleared, by `at`) in the window, newest first."""
        shown = (Signal.message, Signal.severity) if severity else (Signal.message,)
        digest.sections.append(_section(session, name, select(
            *shown, Account.name, Account.slug)
            .join(Account, Account.id == Signal.account_id)
            .where(Signal.account_id.in_(accounts), at >= window_start, at < window_end)
            .order_by(at.desc(), Signal.id.desc()),
            lambda r: Item(f"{r[-2]}: {r[0]}" + (f" ({r[1]})" if severity else ""),
                           at_account(r[-1]))))

    if on["new_signals"]:
        signal_section("new_signals", Signal.opened_at, severity=True)
    if on["cleared_signals"]:
        signal_section("cleared_signals", Signal.cleared_at, severity=False)
    if on["tasks_due"]:
        horizon = today + timedelta(days=PERIOD_DAYS[period])
        digest.sections.append(_section(session, "tasks_due", select(
            Task.id, Task.title, Task.due_on, Account.name, Account.slug)
            .join(Account, Account.id == Task.account_id)
            .where(Task.assignee_id == user.id, Task.status == "open",
                   Task.due_on.is_not(None), Task.due_on <= horizon)
            .order_by(Task.due_on, Task.id),
            lambda r: Item(f"{r[1]} ({r[3]}), {_due_text(r[2], today)}",
                           _task_url(r[0], r[4]))))
    digest.sections.append(_section(session, "renewals", select(
        Account.name, Account.slug, Account.renewal_date)
        .where(Account.id.in_(accounts), Account.status == "active",
               Account.renewal_date >= today,
               Account.renewal_date <= today + timedelta(days=RENEWAL_DAYS))
        .order_by(Account.renewal_date, Account.name),
        lambda r: Item(f"{r[0]} renews on {r[2].isoformat()}", at_account(r[1]))))
    purposes = [p for p, event in ANSWER_EVENTS.items() if wants(prefs, user.id, event,
                                                                  "digest")]
    if purposes:
        digest.sections.append(_section(session, "answers", select(
            AccessLink.purpose, Stakeholder.name, Account.name, Account.slug, Deal.name)
            .join(Account, Account.id == AccessLink.account_id)
            .outerjoin(Stakeholder, Stakeholder.id == AccessLink.stakeholder_id)
            .outerjoin(Deal, Deal.id == AccessLink.deal_id)
            .where(AccessLink.account_id.in_(accounts), AccessLink.purpose.in_(purposes),
                   AccessLink.used_at >= window_start, AccessLink.used_at < window_end)
            .order_by(AccessLink.used_at.desc(), AccessLink.id.desc()),
            lambda r: Item(_answer_text(*r[:3], r[4]), at_account(r[3]))))
    return digest


def _due_text(due: date, today: date) -> str:
    if due < today:
        return f"overdue since {due.isoformat()}"
    if due == today:
        return "due today"
    return f"due {due.isoformat()}"


def _task_url(task_id: int, slug: str) -> str:
    if "tasks.show" in current_app.view_functions:
        return app_path("tasks.show", task_id=task_id)
    return app_path("accounts.show", slug=slug)


def _answer_text(purpose: str, person: str | None, account: str, deal: str | None) -> str:
    if purpose == "buyer_survey":
        # No name: a survey's answers may be anonymized.
        return f"{account}: the buyer survey for the deal “{deal}” was answered"
    what = "confirmed or corrected value" if purpose == "confirm_value" else \
        "answered a loyalty pulse"
    return f"{account}: {person or 'a stakeholder'} {what}"


# -- sending once per period -------------------------------------------------------------


@dataclass
class DigestRun:
    """What one run did: digests sent, users with nothing to say, refusals, and in a
    dry run what each user would get."""

    period: str
    key: str
    sent: int = 0
    empty: int = 0
    failed: int = 0
    taken: int = 0  # claimed by someone else meanwhile
    previews: list[tuple[str, str]] = field(default_factory=list)  # (email, what)


def _pending_users(session: Session, period: str, key: str) -> list[User]:
    """Active users on this frequency without a digest for the period, or whose digest
    the mail server refused (one query)."""
    done = select(DigestSend.user_id).where(
        DigestSend.period == period, DigestSend.period_key == key,
        DigestSend.status != "failed")
    return list(session.exec(select(User).where(
        User.active, User.digest_frequency == period, User.id.not_in(done))
        .order_by(User.id)).all())


def _window_start(session: Session, user: User, period: str, end: datetime) -> datetime:
    last = session.exec(select(sa.func.max(DigestSend.window_end)).where(
        DigestSend.user_id == user.id, DigestSend.period == period,
        DigestSend.status.in_(("sent", "empty")))).one()
    fallback = end - timedelta(days=PERIOD_DAYS[period])
    return last if last is not None and fallback < last < end else fallback


def _claim(session: Session, user: User, period: str, key: str, start: datetime,
           end: datetime) -> DigestSend | None:
    """Claim the user's digest of the period (committed), or None if it is taken."""
    row = DigestSend(user_id=user.id, period=period, period_key=key, status="pending",
                     window_start=start, window_end=end)
    if not claim_row(session, row, sa.update(DigestSend).where(*_failed(user, period, key))
                     .values(status="pending", window_start=start, window_end=end,
                             error=None, created_at=utcnow())):
        return None
    if sa.inspect(row).persistent:
        return row
    return session.exec(select(DigestSend).where(*_failed(user, period, key)[:-1])).one()


def _failed(user: User, period: str, key: str) -> list[Any]:
    """SQL: the user's digest of the period, refused by the mail server (the last
    condition)."""
    return [DigestSend.user_id == user.id, DigestSend.period == period,
            DigestSend.period_key == key, DigestSend.status == "failed"]


def _record_empty(session: Session, user: User, digest: Digest) -> bool:
    # Someone else's row wins, except a digest the mail server refused earlier, with
    # nothing left to say now.
    row = DigestSend(user_id=user.id, period=digest.period, period_key=digest.key,
                     status="empty", window_start=digest.window_start,
                     window_end=digest.window_end, counts={})
    return claim_row(session, row, sa.update(DigestSend)
                     .where(*_failed(user, digest.period, digest.key))
                     .values(status="empty", counts={}, error=None))


def message_for(digest: Digest) -> mail.Message:
    """The digest mail: plain text, with the unsubscribe-from-digest link in the text
    and in the List-Unsubscribe headers (one click, RFC 8058)."""
    assert digest.user.id is not None
    token = links.digest_unsubscribe_token(digest.user.id)
    page = links.public_url("notifications.unsubscribe_digest", token=token)
    one_click = links.public_url("notifications.unsubscribe_digest_one_click", token=token)
    body = render_template(
        "emails/digest.txt", digest=digest, absolute=absolute, unsubscribe_url=page,
        preferences_url=absolute(app_path("notifications.preferences")),
        notifications_url=absolute(app_path("notifications.index")))
    day = digest.window_end.astimezone(UTC).date().isoformat()
    title = "Your daily digest" if digest.period == "daily" else "Your weekly digest"
    return mail.Message(
        to=digest.user.email, subject=f"{title}, {day}: {digest.describe()}"[:200],
        body=body, from_name=FROM_NAME,
        headers={"List-Unsubscribe": f"<{one_click}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"})


def send_digests(session: Session, period: str, *, now: datetime | None = None,
                 dry_run: bool = False) -> DigestRun:
    """Send the period's digest to every user due one (see the module's text). Commits
    each claim before its mail and each outcome after it. A dry run sends and claims
    nothing and lists who would get what."""
    if period not in PERIOD_DAYS:
        raise ValueError(f"unknown digest period {period!r}")
    now = now or utcnow()
    key = period_key(period, now)
    run = DigestRun(period, key)
    for user in _pending_users(session, period, key):
        start = _window_start(session, user, period, now)
        digest = build_digest(session, user, period, window_start=start, window_end=now,
                              key=key)
        if dry_run:
            if digest.is_empty:
                run.empty += 1
            else:
                run.previews.append((user.email, digest.describe()))
            continue
        if digest.is_empty:
            # Nothing to say: recorded as done for the period, in one commit (no mail,
            # so nothing to claim first); someone else's row wins.
            if _record_empty(session, user, digest):
                run.empty += 1
            else:
                run.taken += 1
            continue
        claimed = _claim(session, user, period, key, start, now)
        if claimed is None:
            run.taken += 1
            continue
        claimed.counts = digest.counts
        try:
            message_id = mail.send(message_for(digest))
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("digest of user %s: mail refused: %s", user.id, exc)
            claimed.status, claimed.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            session.add(claimed)
            session.commit()
            run.failed += 1
            continue
        claimed.status, claimed.sent_at, claimed.message_id = "sent", utcnow(), message_id[:255]
        session.add(claimed)
        session.commit()
        run.sent += 1
    return run


def send_due_digests(session: Session, *, now: datetime | None = None) -> list[DigestRun]:
    """The worker's schedule: each period whose digest is due now (see `is_due`)."""
    now = now or utcnow()
    return [send_digests(session, period, now=now) for period in PERIOD_DAYS
            if is_due(period, now)]
