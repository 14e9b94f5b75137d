"""The value log: value entries, their beneficiaries and confirmations.

The write functions (`create_entry`, `update_entry`, `delete_entry`,
`record_confirmation`) record their audit event and never commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, events
from ..activities.contact import refresh_last_contacted
from ..db import check_version, in_ids
from ..models import (
    Account,
    Stakeholder,
    User,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    utcnow,
)
from ..pagination import Page, paginate
from ..quarters import Quarter

ENTRY_FIELDS = ("title", "description", "driver", "amount", "unit", "delivered_on",
                "evidence_status", "source")


def entry_filters(
    *, account_id: int | None, quarter: Quarter | None = None, driver: str | None = None,
    status: str | None = None,
) -> list[Any]:
    """The value log's filters (the web list and the API's); `account_id` None: every
    account (the caller adds the user's scope)."""
    # Described entries wait on the value page for review, not in the log.
    conditions: list[Any] = [ValueEntry.counted_condition()]
    if account_id is not None:
        conditions.append(ValueEntry.account_id == account_id)
    if quarter is not None:
        conditions.append(ValueEntry.delivered_on.between(quarter.start, quarter.end))
    if driver:
        conditions.append(ValueEntry.driver == driver)
    if status:
        conditions.append(ValueEntry.evidence_status == status)
    return conditions


def list_entries(
    session: Session,
    *,
    account_id: int,
    quarter: Quarter | None = None,
    driver: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of an account's value log, newest first (two queries, plus one for names)."""
    conditions = entry_filters(account_id=account_id, quarter=quarter, driver=driver,
                               status=status)
    return paginate(session, select(ValueEntry).where(*conditions)
                    .order_by(ValueEntry.delivered_on.desc(), ValueEntry.id.desc()),
                    number=page, size=per_page)


def beneficiary_names(session: Session, entry_ids: list[int]) -> dict[int, list[str]]:
    """{entry id: [stakeholder names]} for a page of entries, in one query."""
    if not entry_ids:
        return {}
    rows = session.exec(
        select(ValueEntryBeneficiary.entry_id, Stakeholder.name)
        .join(Stakeholder, Stakeholder.id == ValueEntryBeneficiary.stakeholder_id)
        .where(ValueEntryBeneficiary.entry_id.in_(entry_ids))
        .order_by(Stakeholder.name)
    ).all()
    result: dict[int, list[str]] = {}
    for entry_id, name in rows:
        result.setdefault(entry_id, []).append(name)
    return result


def beneficiary_ids(session: Session, entry_id: int) -> list[int]:
    return list(session.exec(
        select(ValueEntryBeneficiary.stakeholder_id)
        .where(ValueEntryBeneficiary.entry_id == entry_id)
    ).all())


def set_beneficiaries(session: Session, entry: ValueEntry, stakeholder_ids: list[int]) -> None:
    """Replace an entry's beneficiaries (ids must belong to the entry's account)."""
    valid = set(session.exec(
        select(Stakeholder.id).where(
            Stakeholder.account_id == entry.account_id, Stakeholder.id.in_(stakeholder_ids)
        )
    ).all()) if stakeholder_ids else set()
    session.execute(sa.delete(ValueEntryBeneficiary).where(
        ValueEntryBeneficiary.entry_id == entry.id))
    for sid in sorted(valid):
        session.add(ValueEntryBeneficiary(entry_id=entry.id, stakeholder_id=sid))


def add_entry(
    session: Session, account: Account, data: dict[str, Any], *,
    beneficiaries: list[int] | None = None, user_id: int | None = None,
) -> ValueEntry:
    """The row of a new entry, without an audit event: a step of `create_entry` and of a
    customer's answer (`outreach.submit_confirmation`, audited as one answer)."""
    entry = ValueEntry(account_id=account.id, created_by_id=user_id,
                       **{k: data[k] for k in ENTRY_FIELDS if k in data})
    session.add(entry)
    session.flush()
    if beneficiaries:
        set_beneficiaries(session, entry, beneficiaries)
    return entry


def create_entry(
    session: Session, account: Account, data: dict[str, Any], *,
    beneficiaries: list[int] | None = None, user: User | None = None,
) -> ValueEntry:
    """Add a value entry to the account; beneficiaries not at the account are ignored.

    Records a "create value_entry" event. Does not commit.
    """
    entry = add_entry(session, account, data, beneficiaries=beneficiaries,
                      user_id=user.id if user is not None else None)
    audit.record(session, "create", "value_entry", entry.id,
                 f"value entry '{entry.title}' on {account.name}", user=user)
    return entry


def update_entry(session: Session, entry: ValueEntry, data: dict[str, Any], *,
                 expected_version: Any, beneficiaries: list[int] | None = None,
                 user: User | None = None) -> dict[str, list[Any]]:
    """Save an edited entry; `beneficiaries` (when given) replaces the beneficiaries.

    Raises `db.StaleEditError` (nothing changed) when someone saved the entry since the
    form was loaded at `expected_version`. Records an "update value_entry" event with
    the changed fields; returns them. Does not commit.
    """
    check_version(session, entry, expected_version)
    diff = audit.apply_changes(
        session, entry, {k: data[k] for k in ENTRY_FIELDS if k in data},
        entity="value_entry", summary=lambda: f"value entry '{entry.title}' updated",
        user=user)
    if beneficiaries is not None:
        set_beneficiaries(session, entry, beneficiaries)
    return diff


def delete_entry(session: Session, entry: ValueEntry, *, user: User | None = None) -> None:
    """Delete an entry with its beneficiaries and confirmations; unlink its commitment.

    Records a "delete value_entry" event. Does not commit.
    """
    account = session.get(Account, entry.account_id)
    entry_id, title = entry.id, entry.title
    session.execute(sa.delete(ValueEntryBeneficiary).where(
        ValueEntryBeneficiary.entry_id == entry.id))
    session.execute(sa.delete(ValueConfirmation).where(ValueConfirmation.entry_id == entry.id))
    session.delete(entry)
    audit.record(session, "delete", "value_entry", entry_id,
                 f"value entry '{title}' deleted from {account.name if account else ''}",
                 user=user)


def recent_confirmations(session: Session, *, account_id: int, limit: int = 20) -> list[Any]:
    """Who confirmed what, when, with their quote: newest first, one query."""
    return list(session.exec(
        select(ValueConfirmation, ValueEntry.title, ValueEntry.amount, ValueEntry.unit,
               Stakeholder.name)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id, isouter=True)
        .where(in_ids(ValueConfirmation.entry_id,
                      select(ValueEntry.id).where(ValueEntry.account_id == account_id),
                      ValueEntry.account_id == account_id))
        .order_by(ValueConfirmation.responded_at.desc(), ValueConfirmation.id.desc())
        .limit(limit)
    ).all())


def latest_confirmation_by_entry(session: Session, entry_ids: list[int]) -> dict[int, Any]:
    """{entry id: (response, comment, stakeholder name, responded_at)} of the newest answer."""
    if not entry_ids:
        return {}
    rows = session.exec(
        select(ValueConfirmation.entry_id, ValueConfirmation.response,
               ValueConfirmation.comment, Stakeholder.name, ValueConfirmation.responded_at)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id, isouter=True)
        .where(ValueConfirmation.entry_id.in_(entry_ids))
        .order_by(ValueConfirmation.responded_at, ValueConfirmation.id)
    ).all()
    return {row[0]: row[1:] for row in rows}


def apply_answer(
    session: Session, entry: ValueEntry, *, stakeholder_id: int | None, response: str,
    comment: str | None, adjusted_amount: Decimal | None = None, method: str = "link",
    link_id: int | None = None, recorded_by_id: int | None = None,
) -> ValueConfirmation:
    """Record a stakeholder's answer and move the entry's evidence status.

    confirmed -> confirmed; adjusted -> confirmed, the entry's amount becomes the
    customer's amount (kept on the confirmation; the old one is in the audit trail);
    disputed -> disputed. No audit event: a step of `record_confirmation` and of
    `outreach.submit_confirmation`, which record one each.
    """
    if response not in ("confirmed", "disputed", "adjusted"):
        raise ValueError(f"unknown response {response!r}")
    if entry.is_described:
        # No figure to confirm yet: the team reviews it first (`review_described_entry`).
        raise ValueError("a described entry is reviewed, not answered")
    if response == "adjusted" and adjusted_amount is None:
        raise ValueError("an adjusted answer needs the amount")
    confirmation = ValueConfirmation(
        entry_id=entry.id, stakeholder_id=stakeholder_id, response=response,
        adjusted_amount=adjusted_amount if response == "adjusted" else None,
        comment=(comment or "").strip() or None, method=method, link_id=link_id,
        recorded_by_id=recorded_by_id,
    )
    session.add(confirmation)
    # The answer changes the entry: an edit form opened before it cannot silently undo it.
    check_version(session, entry, entry.version)
    if response == "disputed":
        entry.evidence_status = "disputed"
    else:
        entry.evidence_status = "confirmed"
        if response == "adjusted":
            entry.amount = adjusted_amount  # type: ignore[assignment]
    entry.updated_at = utcnow()
    session.add(entry)
    _emit_answer(session, entry, confirmation, user_id=recorded_by_id)
    return confirmation


def _emit_answer(session: Session, entry: ValueEntry, confirmation: ValueConfirmation, *,
                 user_id: int | None) -> None:
    """The events of a stakeholder's answer: value.confirmed (an adjusted answer confirms
    too) or value.disputed, and value.adjusted for a corrected amount."""
    session.flush()  # the confirmation's id
    data = {"confirmation_id": confirmation.id, "response": confirmation.response,
            "stakeholder_id": confirmation.stakeholder_id, "method": confirmation.method,
            "title": entry.title, "amount": None if entry.amount is None else str(entry.amount),
            "comment": confirmation.comment}
    names = {"confirmed": ["value.confirmed"], "adjusted": ["value.confirmed", "value.adjusted"],
             "disputed": ["value.disputed"]}[confirmation.response]
    user = session.get(User, user_id) if user_id is not None else None
    for name in names:
        events.emit(session, name, account_id=entry.account_id, entity="value_entry",
                    entity_id=entry.id, user=user, data=data)


def record_confirmation(
    session: Session, entry: ValueEntry, *, stakeholder_id: int | None, response: str,
    comment: str | None, adjusted_amount: Decimal | None = None, user: User | None = None,
) -> ValueConfirmation:
    """The team records a stakeholder's answer given on a call (see `apply_answer`).

    Raises ValueError for an unknown response or an adjusted answer without amount.
    Records a "create value_confirmation" event. Does not commit.
    """
    confirmation = apply_answer(
        session, entry, stakeholder_id=stakeholder_id, response=response, comment=comment,
        adjusted_amount=adjusted_amount, method="recorded",
        recorded_by_id=user.id if user is not None else None)
    session.flush()
    audit.record(session, "create", "value_confirmation", confirmation.id,
                 f"{response} answer recorded for '{entry.title}'", user=user)
    refresh_last_contacted(session, [stakeholder_id])  # their answer is a contact
    return confirmation


def entry_choices(session: Session, *, account_id: int, limit: int = 200) -> list[Any]:
    """(id, delivered_on, title) of an account's most recent entries, for select fields."""
    return list(session.exec(
        select(ValueEntry.id, ValueEntry.delivered_on, ValueEntry.title)
        .where(ValueEntry.account_id == account_id, ValueEntry.counted_condition())
        .order_by(ValueEntry.delivered_on.desc(), ValueEntry.id.desc()).limit(limit)
    ).all())


def last_delivered_on(session: Session, *, account_id: int) -> date | None:
    return session.exec(select(sa.func.max(ValueEntry.delivered_on))
                        .where(ValueEntry.account_id == account_id,
                               ValueEntry.counted_condition())).one()
