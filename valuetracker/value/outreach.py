"""Asking the customer: confirmation and pulse links, their emails and their answers.

The write functions (`send_link`, `withdraw_link`, `submit_confirmation`,
`record_pulse`, `submit_pulse`) record their audit event and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app, render_template, url_for
from sqlmodel import Session, select

from .. import audit, links, mail
from ..activities.contact import refresh_last_contacted
from ..models import (
    DRIVERS,
    AccessLink,
    Account,
    LoyaltyPulse,
    Stakeholder,
    User,
    ValueEntry,
    ValueEntryBeneficiary,
    label,
)
from .entries import add_entry, apply_answer

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
    stmt = select(ValueEntry.id).where(ValueEntry.account_id == stakeholder.account_id)
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


def public_url(endpoint: str, token: str) -> str:
    """The absolute URL of a public page (BASE_URL, since links are opened elsewhere)."""
    base = str(current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + url_for(endpoint, token=token)


def send_link(
    session: Session, *, account: Account, stakeholder: Stakeholder, purpose: str,
    entry_ids: list[int] | None = None, user: User | None = None,
) -> SentLink:
    """Create a confirmation (`confirm_value`) or pulse link, email it (signed by `user`),
    return its URL.

    Raises OutreachError for an unreachable stakeholder or an empty entry list, and
    the mail errors (smtplib.SMTPException, OSError) when the mail server refuses.
    Records a "create access_link" event with the number of entries. Does not commit;
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
        endpoint, template = "public.confirm", "emails/confirm_value.txt"
        subject = f"{account.name}: did we deliver what we think we did?"
    elif purpose == "pulse":
        endpoint, template = "public.pulse", "emails/pulse.txt"
        subject = f"{account.name}: two minutes on how we are doing"
    else:
        raise OutreachError(f"Unknown link purpose {purpose!r}.")
    link, token = links.create_link(session, purpose, stakeholder_id=stakeholder.id,
                                    account_id=account.id, payload=payload,
                                    created_by_id=user.id if user is not None else None)
    url = public_url(endpoint, token)
    body = render_template(template, stakeholder=stakeholder, account=account, url=url,
                           link=link, sender_name=user.name if user is not None else "",
                           count=len(entry_ids or []))
    message_id = mail.send(mail.Message(to=stakeholder.email or "", subject=subject, body=body))
    audit.record(session, "create", "access_link", link.id,
                 f"{label(purpose).lower()} link sent to {stakeholder.name}",
                 details={"entries": len(entry_ids or [])}, user=user)
    return SentLink(link, url, message_id)


def withdraw_link(session: Session, link: AccessLink, *, user: User | None = None) -> None:
    """Withdraw a link that was sent (it then shows "withdrawn").

    Records a "revoke access_link" event. Does not commit.
    """
    links.revoke_link(session, link)
    account = session.get(Account, link.account_id) if link.account_id else None
    audit.record(session, "revoke", "access_link", link.id,
                 f"link withdrawn on {account.name if account else ''}", user=user)


def open_links(session: Session, *, account_id: int, limit: int = 50) -> list[Any]:
    """Links of an account not yet answered, expired or withdrawn, with the person's name."""
    from ..models import utcnow

    return list(session.exec(
        select(AccessLink, Stakeholder.name)
        .join(Stakeholder, Stakeholder.id == AccessLink.stakeholder_id)
        .where(AccessLink.account_id == account_id,
               AccessLink.purpose.in_(("confirm_value", "pulse")),
               AccessLink.used_at.is_(None), AccessLink.revoked_at.is_(None),
               AccessLink.expires_at > utcnow())
        .order_by(AccessLink.created_at.desc()).limit(limit)
    ).all())


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
    `links.LinkError`. Free-text value we did
    not list becomes a new claimed entry (source "customer"). Records one "create
    value_confirmation" event for the whole answer (its counts). Does not commit.
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
        text = other_value.strip()
        # Amount 0 and driver "strategic" until the team reviews it and fills them in.
        add_entry(session, account, {  # type: ignore[arg-type]
            "title": _title_from(text), "description": text, "driver": "strategic",
            "amount": Decimal(0), "unit": "currency", "delivered_on": date.today(),
            "evidence_status": "claimed", "source": "customer",
        }, beneficiaries=[link.stakeholder_id] if link.stakeholder_id else None)
        created = 1
    result = {"answers": len(answers), "new_entries": created}
    stakeholder = session.get(Stakeholder, link.stakeholder_id) if link.stakeholder_id else None
    audit.record(session, "create", "value_confirmation", link.id,
                 f"{stakeholder.name if stakeholder else 'Someone'} answered a confirmation link",
                 details=result)
    refresh_last_contacted(session, [link.stakeholder_id])  # their answer is a contact
    return result


def _title_from(text: str) -> str:
    first = text.splitlines()[0].strip()
    return first if len(first) <= 120 else first[:117].rstrip() + "…"


# --------------------------------------------------------------------------- pulses

PULSE_FIELDS = ("satisfaction", "repurchase_intent", "recommend", "positive_emotion",
                "emotion_text", "driver_ranking", "comment")


def validate_ranking(ranking: list[str]) -> list[str]:
    """A full ranking: every driver exactly once. Raises ValueError with a readable reason."""
    if len(ranking) != len(DRIVERS) or set(ranking) != set(DRIVERS):
        raise ValueError("Rank each of the six value drivers exactly once.")
    return list(ranking)


def add_pulse(
    session: Session, stakeholder: Stakeholder, data: dict[str, Any], *,
    taken_on: date | None = None, method: str = "link", link_id: int | None = None,
    recorded_by_id: int | None = None,
) -> LoyaltyPulse:
    """The row of a new pulse, without an audit event (a step of `record_pulse` and
    `submit_pulse`). History is kept: never overwrites an earlier one. Raises
    ValueError for an incomplete driver ranking."""
    if data.get("driver_ranking"):
        data = dict(data, driver_ranking=validate_ranking(data["driver_ranking"]))
    pulse = LoyaltyPulse(
        stakeholder_id=stakeholder.id, account_id=stakeholder.account_id,
        taken_on=taken_on or date.today(), method=method, link_id=link_id,
        recorded_by_id=recorded_by_id, **{k: data.get(k) for k in PULSE_FIELDS},
    )
    pulse.positive_emotion = bool(data.get("positive_emotion"))
    session.add(pulse)
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
