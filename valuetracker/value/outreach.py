"""Asking the customer: confirmation and pulse links, their emails and their answers.

The write functions (`send_link`, `resend_link`, `withdraw_link`,
`submit_confirmation`, `record_pulse`, `submit_pulse`) record their audit event and never
commit. `email_link` is the one way a link is mailed, the first time and as a reminder
(`valuetracker.reminders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app, render_template
from sqlmodel import Session, select

from .. import audit, events, links, mail, stakeholder_mail
from ..activities.contact import refresh_last_contacted
from ..models import (
    DRIVERS,
    AccessLink,
    Account,
    Deal,
    LoyaltyPulse,
    Stakeholder,
    User,
    ValueEntry,
    ValueEntryBeneficiary,
    label,
    nps_group,
    utcnow,
)
from .described import describe_value
from .entries import apply_answer

# "All recent entries" means delivered in this many days.
RECENT_DAYS = 90
# A link never lists more entries than this (the page must stay readable).
MAX_LINK_ENTRIES = 50


class OutreachError(ValueError):
    """Why a link cannot be sent (unreachable stakeholder, nothing to confirm)."""


def account_stakeholders(session: Session, *, account_id: int) -> list[Stakeholder]:
    """All stakeholders of an account (reachable or not), by name."""
    return list(session.exec(
        select(Stakeholder).where(Stakeholder.account_id == account_id,
                                  Stakeholder.erased_at.is_(None))
        .order_by(Stakeholder.name)
    ).all())


def unreachable_reason(stakeholder: Stakeholder) -> str | None:
    """Why we may not send this person a link (by e-mail), or None: the model's rule."""
    return stakeholder.contact_block_reason(by_email=True)


def entries_to_confirm(
    session: Session, *, stakeholder: Stakeholder, scope: str = "concerning",
    today: date | None = None,
) -> list[int]:
    """Ids of entries to ask a stakeholder about, newest first.

    `concerning`: entries where they are a beneficiary and not yet confirmed;
    `recent`: every entry of their account delivered in the last RECENT_DAYS days.
    """
    stmt = select(ValueEntry.id).where(ValueEntry.account_id == stakeholder.account_id,
                                       ValueEntry.counted_condition())
    if scope == "recent":
        since = (today or date.today()) - timedelta(days=RECENT_DAYS)
        stmt = stmt.where(ValueEntry.delivered_on >= since)
    else:
        stmt = stmt.join(ValueEntryBeneficiary,
                         ValueEntryBeneficiary.entry_id == ValueEntry.id).where(
            ValueEntryBeneficiary.stakeholder_id == stakeholder.id,
            ValueEntry.evidence_status != "confirmed",
        )
    stmt = stmt.order_by(ValueEntry.delivered_on.desc(), ValueEntry.id.desc())
    return list(session.exec(stmt.limit(MAX_LINK_ENTRIES)).all())


@dataclass
class SentLink:
    link: AccessLink
    url: str
    message_id: str


# How each kind of link is mailed: the public page it opens, the message's text and the
# label of its button in the HTML part.
LINK_MAILS: dict[str, tuple[str, str, str]] = {
    "confirm_value": ("public.confirm", "emails/confirm_value.txt", "Review what we delivered"),
    "pulse": ("public.pulse", "emails/pulse.txt", "Answer five short questions"),
    "buyer_survey": ("survey.answer", "emails/buyer_survey.txt", "Answer the survey"),
}
# The purposes the account's value page sends, lists and withdraws.
VALUE_PURPOSES = ("confirm_value", "pulse")


def public_url(endpoint: str, token: str) -> str:
    """The absolute URL of a public page (BASE_URL, since links are opened elsewhere;
    the same from a request, the CLI or the worker)."""
    return links.public_url(endpoint, token=token)


def link_subject(purpose: str, *, account: Account, deal: Deal | None = None) -> str:
    """The subject of a link's mail (a reminder adds "Reminder: " in front)."""
    if purpose == "confirm_value":
        return f"{account.name}: did we deliver what we think we did?"
    if purpose == "pulse":
        return f"{account.name}: a minute on how we are doing"
    return f"{deal.name if deal else account.name}: a few questions about your decision"


def email_link(
    session: Session, link: AccessLink, token: str, *, stakeholder: Stakeholder,
    account: Account, deal: Deal | None = None, sender: User | None = None,
    reminder: bool = False,
) -> SentLink:
    """Mail a recorded link to its person: the one sending path of every link, its first
    mail and its reminder alike (`reminder` says so in the text). The mail is
    `stakeholder_mail.compose`'s, signed by the account manager (the account's owner;
    `sender`, who sends it, when the account has none).

    Raises the mail errors (smtplib.SMTPException, OSError) when the mail server refuses.
    Records nothing: the caller's write function does.
    """
    endpoint, template, action_label = LINK_MAILS[link.purpose]
    url = public_url(endpoint, token)
    subject = link_subject(link.purpose, account=account, deal=deal)
    if reminder:
        subject = f"Reminder: {subject}"
    body = render_template(template, stakeholder=stakeholder, account=account, deal=deal,
                           url=url, link=link, reminder=reminder,
                           count=len((link.payload or {}).get("entry_ids", [])))
    manager = stakeholder_mail.account_manager(session, account, fallback=sender)
    message_id = mail.send(stakeholder_mail.compose(
        session, account=account, stakeholder=stakeholder, subject=subject, text=body,
        manager=manager, action=stakeholder_mail.Action(url, action_label)))
    return SentLink(link, url, message_id)


def send_link(
    session: Session, *, account: Account, stakeholder: Stakeholder, purpose: str,
    entry_ids: list[int] | None = None, user: User | None = None,
    replaces: AccessLink | None = None,
) -> SentLink:
    """Create a confirmation (`confirm_value`) or pulse link, email it (`email_link`),
    return its URL. `replaces` is the unanswered link it is sent in place of
    (`resend_link`, which has withdrawn it).

    Raises OutreachError for an unreachable stakeholder or an empty entry list, and
    the mail errors (smtplib.SMTPException, OSError) when the mail server refuses.
    Records a "create access_link" event with the number of entries ("resend", naming
    the replaced link, for a replacement). Does not commit;
    mail goes out before the commit, so a failed commit leaves a dead link in
    someone's inbox at worst, never a live unrecorded one.
    """
    reason = unreachable_reason(stakeholder)
    if reason:
        raise OutreachError(f"{stakeholder.name} gets no link: {reason}.")
    if stakeholder.account_id != account.id:
        raise OutreachError("This person does not work at this account.")
    payload: dict[str, Any] | None = None
    if purpose == "confirm_value":
        if not entry_ids:
            # Say how to get past it: a new user logs value without beneficiaries first.
            raise OutreachError(
                "There is no value to confirm for this person yet. Add them as a beneficiary"
                " of an entry, or choose “Every entry of the last 90 days”.")
        payload = {"entry_ids": [int(i) for i in entry_ids]}
    elif purpose != "pulse":
        raise OutreachError(f"Unknown link purpose {purpose!r}.")
    link, token = links.create_link(session, purpose, stakeholder_id=stakeholder.id,
                                    account_id=account.id, payload=payload,
                                    created_by_id=user.id if user is not None else None)
    sent = email_link(session, link, token, stakeholder=stakeholder, account=account, sender=user)
    details: dict[str, Any] = {"entries": len(entry_ids or [])}
    if replaces is None:
        audit.record(session, "create", "access_link", link.id,
                     f"{label(purpose).lower()} link sent to {stakeholder.name}",
                     details=details, user=user)
    else:
        audit.record(session, "resend", "access_link", link.id,
                     f"{label(purpose).lower()} link sent again to {stakeholder.name}",
                     details={**details, "replaces": replaces.id}, user=user)
    return sent


def resend_link(session: Session, link: AccessLink, *, user: User | None = None) -> SentLink:
    """Send a new confirmation or pulse link in place of an unanswered one, which is
    withdrawn: same person, same entries (those that still exist).

    Raises OutreachError when the link was answered, withdrawn or has expired, or for
    the reasons of `send_link`, and the mail errors. Records one "resend access_link"
    event naming the replaced link. Does not commit.
    """
    if link.used_at is not None or link.revoked_at is not None or link.expires_at <= utcnow():
        raise OutreachError("This link was answered, withdrawn or has expired; "
                            "send a new one instead.")
    stakeholder = session.get(Stakeholder, link.stakeholder_id) if link.stakeholder_id \
        else None
    account = session.get(Account, link.account_id) if link.account_id else None
    if stakeholder is None or account is None:
        raise OutreachError("This link's person is no longer here.")
    entry_ids = [entry.id for entry in link_entries(session, link)] \
        if link.purpose == "confirm_value" else None
    links.revoke_link(session, link)
    return send_link(session, account=account, stakeholder=stakeholder, purpose=link.purpose,
                     entry_ids=entry_ids, user=user, replaces=link)


def withdraw_link(session: Session, link: AccessLink, *, user: User | None = None) -> None:
    """Withdraw a link that was sent (it then shows "withdrawn").

    Records a "revoke access_link" event. Does not commit.
    """
    links.revoke_link(session, link)
    account = session.get(Account, link.account_id) if link.account_id else None
    audit.record(session, "revoke", "access_link", link.id,
                 f"link withdrawn on {account.name if account else ''}", user=user)


@dataclass
class OpenLink:
    """An unanswered link as the team sees it: to whom, how old, its reminder."""

    link: AccessLink
    stakeholder: Stakeholder
    age_days: int  # whole days since it was sent
    blocked: str | None  # why the person may not be mailed now (no reminder, no resend)
    reminder_on: date | None  # when its reminder is due, if it is still to come
    reminder_due: bool = False  # that day has come: the next run sends it


def open_links(session: Session, *, account_id: int | None = None, deal_id: int | None = None,
               purposes: tuple[str, ...] = VALUE_PURPOSES, limit: int = 50,
               now: datetime | None = None) -> list[OpenLink]:
    """Links of an account (or a deal) not yet answered, expired or withdrawn, newest
    first, with their person, age and reminder."""
    now = now or utcnow()
    stmt = select(AccessLink, Stakeholder).join(
        Stakeholder, Stakeholder.id == AccessLink.stakeholder_id).where(
        AccessLink.purpose.in_(purposes), links.open_condition(now))
    if account_id is not None:
        stmt = stmt.where(AccessLink.account_id == account_id)
    if deal_id is not None:
        stmt = stmt.where(AccessLink.deal_id == deal_id)
    rows = session.exec(stmt.order_by(AccessLink.created_at.desc(), AccessLink.id.desc())
                        .limit(limit)).all()
    days = int(current_app.config.get("LINK_REMINDER_DAYS", 7))
    result = []
    for link, person in rows:
        blocked = unreachable_reason(person)
        due = link.created_at + timedelta(days=days)
        reminder_on = due.date() if days > 0 and link.reminded_at is None and blocked is None \
            and due < link.expires_at else None
        result.append(OpenLink(link, person, (now - link.created_at).days, blocked,
                               reminder_on, reminder_on is not None and due <= now))
    return result


def link_entries(session: Session, link: AccessLink) -> list[ValueEntry]:
    """The entries a confirmation link asks about (only its own account's)."""
    ids = [int(i) for i in (link.payload or {}).get("entry_ids", [])]
    if not ids:
        return []
    return list(session.exec(
        select(ValueEntry).where(ValueEntry.id.in_(ids),
                                 ValueEntry.account_id == link.account_id)
        .order_by(ValueEntry.delivered_on.desc(), ValueEntry.id.desc())
    ).all())


@dataclass
class Answer:
    entry_id: int
    response: str  # confirmed, disputed, adjusted
    comment: str | None = None
    adjusted_amount: Decimal | None = None


def submit_confirmation(
    session: Session, link: AccessLink, answers: list[Answer], *, other_value: str | None,
) -> dict[str, int]:
    """Apply a stakeholder's answers through a link and use the link up.

    Every answer must be about one of the link's entries, and about each at most once
    (ValueError otherwise, nothing written); a used, expired or withdrawn link raises
    `links.LinkError`. Free-text value we did not list becomes a `described` entry
    (`entries.describe_value`: their words, no driver, no amount, counted nowhere until
    the team reviews it). Records one "create value_confirmation" event for the whole
    answer (its counts). Does not commit.
    """
    entries = {entry.id: entry for entry in link_entries(session, link)}
    for answer in answers:
        if answer.entry_id not in entries:
            raise ValueError("answer about an entry this link does not ask about")
    if len({answer.entry_id for answer in answers}) != len(answers):
        raise ValueError("more than one answer about one entry")
    links.consume_link(session, link)
    for answer in answers:
        apply_answer(session, entries[answer.entry_id], stakeholder_id=link.stakeholder_id,
                     response=answer.response, comment=answer.comment,
                     adjusted_amount=answer.adjusted_amount, method="link", link_id=link.id)
    created = 0
    if other_value and other_value.strip():
        account = session.get(Account, link.account_id)
        describe_value(session, account, other_value.strip(),  # type: ignore[arg-type]
                       stakeholder_id=link.stakeholder_id, link_id=link.id)
        created = 1
    result = {"answers": len(answers), "new_entries": created}
    stakeholder = session.get(Stakeholder, link.stakeholder_id) if link.stakeholder_id else None
    audit.record(session, "create", "value_confirmation", link.id,
                 f"{stakeholder.name if stakeholder else 'Someone'} answered a confirmation link",
                 details=result)
    refresh_last_contacted(session, [link.stakeholder_id])  # their answer is a contact
    return result


# --------------------------------------------------------------------------- pulses

PULSE_FIELDS = ("satisfaction", "repurchase_intent", "recommend", "positive_emotion",
                "emotion_text", "driver_ranking", "comment")


# A ranking names at least the top three drivers (the pulse asks for three, the rest
# is optional); the drivers it leaves out rank after the ones it names.
MIN_RANKED_DRIVERS = 3


def validate_ranking(ranking: list[str]) -> list[str]:
    """A ranking of value drivers, most important first: at least the top three, each
    driver at most once. Raises ValueError with a readable reason."""
    if any(driver not in DRIVERS for driver in ranking):
        raise ValueError("Rank only the six value drivers.")
    if len(set(ranking)) != len(ranking):
        raise ValueError("Each value driver can take only one place.")
    if len(ranking) < MIN_RANKED_DRIVERS:
        raise ValueError("Rank at least your top three value drivers.")
    return list(ranking)


def add_pulse(
    session: Session, stakeholder: Stakeholder, data: dict[str, Any], *,
    taken_on: date | None = None, method: str = "link", link_id: int | None = None,
    recorded_by_id: int | None = None,
) -> LoyaltyPulse:
    """The row of a new pulse, without an audit event (a step of `record_pulse` and
    `submit_pulse`). History is kept: never overwrites an earlier one. Raises
    ValueError for a driver ranking `validate_ranking` refuses."""
    if data.get("driver_ranking"):
        data = dict(data, driver_ranking=validate_ranking(data["driver_ranking"]))
    pulse = LoyaltyPulse(
        stakeholder_id=stakeholder.id, account_id=stakeholder.account_id,
        taken_on=taken_on or date.today(), method=method, link_id=link_id,
        recorded_by_id=recorded_by_id, **{k: data.get(k) for k in PULSE_FIELDS},
    )
    pulse.positive_emotion = bool(data.get("positive_emotion"))
    session.add(pulse)
    session.flush()  # the pulse's id, for its event
    events.emit(session, "pulse.answered", account_id=pulse.account_id, entity="loyalty_pulse",
                entity_id=pulse.id,
                user=session.get(User, recorded_by_id) if recorded_by_id is not None else None,
                data={"stakeholder_id": stakeholder.id, "stakeholder": stakeholder.name,
                      "method": method, "satisfaction": pulse.satisfaction,
                      "repurchase_intent": pulse.repurchase_intent,
                      "recommend": pulse.recommend, "nps_group": nps_group(pulse.recommend)})
    return pulse


def record_pulse(session: Session, stakeholder: Stakeholder, data: dict[str, Any], *,
                 taken_on: date | None = None, user: User | None = None) -> LoyaltyPulse:
    """The team records a pulse taken on a call (see `add_pulse`).

    Records a "create loyalty_pulse" event. Does not commit.
    """
    pulse = add_pulse(session, stakeholder, data, taken_on=taken_on, method="recorded",
                      recorded_by_id=user.id if user is not None else None)
    session.flush()
    audit.record(session, "create", "loyalty_pulse", pulse.id,
                 f"pulse recorded for {stakeholder.name}", user=user)
    refresh_last_contacted(session, [stakeholder.id])  # their answer is a contact
    return pulse


def submit_pulse(session: Session, link: AccessLink, data: dict[str, Any]) -> LoyaltyPulse:
    """Record a pulse answered through a link, and use the link up.

    Raises `links.LinkError` for a used, expired or withdrawn link. Records a "create
    loyalty_pulse" event. Does not commit.
    """
    stakeholder = session.get(Stakeholder, link.stakeholder_id)
    if stakeholder is None:
        raise links.LinkError("invalid")
    links.consume_link(session, link)
    pulse = add_pulse(session, stakeholder, data, method="link", link_id=link.id)
    session.flush()
    audit.record(session, "create", "loyalty_pulse", pulse.id,
                 f"{stakeholder.name} answered a pulse link")
    refresh_last_contacted(session, [stakeholder.id])  # their answer is a contact
    return pulse


def pulse_history(session: Session, *, account_id: int, limit: int = 100) -> list[Any]:
    return list(session.exec(
        select(LoyaltyPulse, Stakeholder.name)
        .join(Stakeholder, Stakeholder.id == LoyaltyPulse.stakeholder_id)
        .where(LoyaltyPulse.account_id == account_id)
        .order_by(LoyaltyPulse.taken_on.desc(), LoyaltyPulse.id.desc()).limit(limit)
    ).all())
