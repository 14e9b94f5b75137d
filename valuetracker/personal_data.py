"""A stakeholder's personal data: export everything we hold about them, or erase them.

Erasure anonymises the person but keeps value, pulse and interview records (their
figures still count); those rows then point at an anonymous stakeholder.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from . import audit
from .models import (
    AccessLink,
    Account,
    Deal,
    InterviewAnswer,
    InterviewQuote,
    LoyaltyPulse,
    Stakeholder,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    WinLossInterview,
    utcnow,
)

EXPORT_FORMAT = "valuetracker.stakeholder-export/1"
PERSON_FIELDS = (
    "id", "name", "title", "email", "phone", "buying_role", "influence", "sentiment",
    "is_key", "reports_to_id", "preferences", "notes", "preferred_channel", "opted_out_at",
    "left_company_at", "last_contacted_on", "external_id", "erased_at", "created_at",
    "updated_at",
)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def export_stakeholder(session: Session, person: Stakeholder) -> dict[str, Any]:
    """Everything held about one person, as JSON-ready data (a handful of queries)."""
    account = session.get(Account, person.account_id)
    manager = session.get(Stakeholder, person.reports_to_id) if person.reports_to_id else None
    pulses = session.exec(
        select(LoyaltyPulse).where(LoyaltyPulse.stakeholder_id == person.id)
        .order_by(LoyaltyPulse.taken_on, LoyaltyPulse.id)
    ).all()
    confirmations = session.exec(
        select(ValueConfirmation, ValueEntry.title)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .where(ValueConfirmation.stakeholder_id == person.id)
        .order_by(ValueConfirmation.responded_at, ValueConfirmation.id)
    ).all()
    benefits = session.exec(
        select(ValueEntry)
        .join(ValueEntryBeneficiary, ValueEntryBeneficiary.entry_id == ValueEntry.id)
        .where(ValueEntryBeneficiary.stakeholder_id == person.id)
        .order_by(ValueEntry.delivered_on, ValueEntry.id)
    ).all()
    interviews = session.exec(
        select(WinLossInterview, Deal.name)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.stakeholder_id == person.id)
        .order_by(WinLossInterview.requested_at, WinLossInterview.id)
    ).all()
    interview_ids = [interview.id for interview, _ in interviews]
    answers = _by_interview(session, InterviewAnswer, interview_ids)
    quotes = _by_interview(session, InterviewQuote, interview_ids)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "account": {"id": account.id, "name": account.name} if account else None,
        "stakeholder": _row(person, PERSON_FIELDS)
        | {"reports_to": manager.name if manager else None},
        "loyalty_pulses": [_row(p, (
            "id", "taken_on", "satisfaction", "repurchase_intent", "recommend",
            "positive_emotion", "emotion_text", "driver_ranking", "comment", "method",
            "created_at")) for p in pulses],
        "value_confirmations": [_row(c, (
            "id", "entry_id", "response", "adjusted_amount", "comment", "method",
            "responded_at")) | {"entry_title": title} for c, title in confirmations],
        "value_entries_benefited": [_row(e, (
            "id", "title", "driver", "amount", "unit", "delivered_on", "evidence_status"))
            for e in benefits],
        "winloss_interviews": [_row(i, (
            "id", "deal_id", "status", "channel", "anonymity", "contact_name", "contact_title",
            "requested_at", "scheduled_for", "completed_at", "notes"))
            | {"deal": deal_name,
               "answers": [_row(a, ("question_id", "text", "rating", "choice"))
                           for a in answers.get(i.id, [])],
               "quotes": [_row(q, ("text", "tags")) for q in quotes.get(i.id, [])]}
            for i, deal_name in interviews],
    }


def _by_interview(session: Session, model: Any, interview_ids: list[int]
                  ) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    if not interview_ids:
        return grouped
    for row in session.exec(select(model).where(model.interview_id.in_(interview_ids))
                            .order_by(model.id)).all():
        grouped.setdefault(row.interview_id, []).append(row)
    return grouped


def erased_name(person: Stakeholder) -> str:
    return f"Erased stakeholder #{person.id}"


def erase_stakeholder(session: Session, person: Stakeholder) -> None:
    """Anonymise a person for good: name, contact details, notes and ids removed.

    Pulses, confirmations, value entries and interviews stay (their figures still count)
    but no longer say who; open links to the person are revoked so nothing reaches them.
    The audit event records that an erasure happened, not what was erased.
    """
    if person.erased_at is not None:
        return
    now = utcnow()
    person.name = erased_name(person)
    for column in ("title", "email", "phone", "preferences", "notes", "external_id"):
        setattr(person, column, None)
    person.erased_at = now
    person.opted_out_at = person.opted_out_at or now
    person.version += 1
    person.updated_at = now
    session.add(person)
    # Interviews may carry the person's name as the outside contact: remove it.
    session.exec(
        sa.update(WinLossInterview)
        .where(WinLossInterview.stakeholder_id == person.id)
        .values(contact_name=None, contact_title=None)
        .execution_options(synchronize_session=False)
    )
    session.exec(
        sa.update(AccessLink)
        .where(AccessLink.stakeholder_id == person.id, AccessLink.used_at.is_(None),
               AccessLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, "erase", "stakeholder", person.id,
                 f"personal data of stakeholder #{person.id} erased")


def record_export(session: Session, person: Stakeholder) -> None:
    audit.record(session, "export", "stakeholder", person.id,
                 f"personal data of stakeholder #{person.id} exported")
