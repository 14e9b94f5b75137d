"""The one rule for a stakeholder's "last contacted": the newest day on their timeline
of an event that is a contact with them, that is a call, meeting or e-mail logged with
them, or their answer (a value confirmation, a pulse, a link), and never earlier than
the date recorded before the timeline existed (`Stakeholder.contacted_before_timeline_on`).

`Stakeholder.last_contacted_on` keeps the result so the coverage rules stay plain SQL
on one column; every write that adds, changes or removes such an event calls
`refresh_last_contacted` for the people concerned, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Stakeholder
from . import timeline


def latest_contacts(session: Session, stakeholder_ids: Iterable[int]) -> dict[int, date]:
    """{stakeholder id: the day of their newest contact on the timeline}, one query."""
    ids = tuple(sorted(set(stakeholder_ids)))
    kinds = timeline.contact_kinds()
    sub = timeline.merged(timeline.Scope(stakeholder_ids=ids), kinds) if ids else None
    if sub is None:
        return {}
    rows = session.exec(select(sub.c.person_id, sa.func.max(sub.c.happened_on))
                        .where(sub.c.kind.in_(sorted(kinds)), sub.c.person_id.is_not(None))
                        .group_by(sub.c.person_id)).all()
    return {person_id: day for person_id, day in rows if day is not None}


def refresh_last_contacted(session: Session, stakeholder_ids: Iterable[int | None]) -> None:
    """Set `last_contacted_on` of these people from their timelines (see the module).

    Flushes first, so the caller's pending change counts. Not audited and no new
    version: it is derived, and an edit form open meanwhile does not carry it.
    Does not commit.
    """
    ids = sorted({i for i in stakeholder_ids if i})
    if not ids:
        return
    session.flush()
    latest = latest_contacts(session, ids)
    for person in session.exec(select(Stakeholder).where(Stakeholder.id.in_(ids))).all():
        days = [d for d in (latest.get(person.id), person.contacted_before_timeline_on) if d]
        newest = max(days) if days else None
        if person.last_contacted_on != newest:
            person.last_contacted_on = newest
            session.add(person)
