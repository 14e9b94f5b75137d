"""Demo notifications: the latest of what the seeded data says happened (a disputed
value entry, a detractor's pulse, a key stakeholder who left) told to the account
teams, through the same events a real answer emits, so the menu has something unread
on the first sign-in. The immediate mails of these old events are not sent (they are
marked e-mailed): the demo shows them in the app, and the digest comes the next morning.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from .. import events
from ..models import (
    LoyaltyPulse,
    Notification,
    Stakeholder,
    ValueConfirmation,
    ValueEntry,
    nps_group,
    utcnow,
)

PER_KIND = 3  # the latest few of each kind


def seed(session: Session, made: dict[str, Any]) -> None:
    session.flush()
    disputes = session.exec(
        select(ValueConfirmation, ValueEntry, Stakeholder)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id)
        .where(ValueConfirmation.response == "disputed")
        .order_by(ValueConfirmation.id.desc()).limit(PER_KIND)).all()
    for answer, entry, person in reversed(disputes):
        events.emit(session, "value.disputed", account_id=entry.account_id,
                    entity="value_entry", entity_id=entry.id,
                    data={"stakeholder_id": person.id, "stakeholder": person.name,
                          "title": entry.title, "comment": answer.comment,
                          "response": "disputed"})
    pulses = session.exec(
        select(LoyaltyPulse, Stakeholder)
        .join(Stakeholder, Stakeholder.id == LoyaltyPulse.stakeholder_id)
        .where(LoyaltyPulse.recommend <= 6)
        .order_by(LoyaltyPulse.taken_on.desc(), LoyaltyPulse.id.desc()).limit(PER_KIND)).all()
    for pulse, person in reversed(pulses):
        events.emit(session, "pulse.answered", account_id=pulse.account_id,
                    entity="loyalty_pulse", entity_id=pulse.id,
                    data={"stakeholder_id": person.id, "stakeholder": person.name,
                          "recommend": pulse.recommend,
                          "nps_group": nps_group(pulse.recommend)})
    for person in session.exec(select(Stakeholder).where(
            Stakeholder.left_company_at.is_not(None)).limit(PER_KIND)).all():
        events.emit(session, "stakeholder.left", account_id=person.account_id,
                    entity="stakeholder", entity_id=person.id,
                    data={"name": person.name, "is_key": person.is_key,
                          "buying_role": person.buying_role, "via": "demo"})
    session.flush()
    now = utcnow()
    for row in session.exec(select(Notification).where(Notification.email)).all():
        row.emailed_at = now  # old news: shown in the app, not mailed now
        session.add(row)
