"""Commitments: the value we promised to deliver next, and whether we did on time."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..models import OPEN_COMMITMENT_STATUSES, ValueCommitment, ValueEntry, utcnow

COMMITMENT_FIELDS = ("title", "description", "driver", "expected_amount", "unit", "due_on",
                     "status")


def list_commitments(session: Session, *, account_id: int, limit: int = 200) -> list[Any]:
    """An account's commitments (open ones first, by due date) with the delivering entry."""
    return list(session.exec(
        select(ValueCommitment, ValueEntry.id, ValueEntry.title)
        .join(ValueEntry, ValueEntry.commitment_id == ValueCommitment.id, isouter=True)
        .where(ValueCommitment.account_id == account_id)
        .order_by(ValueCommitment.status.in_(("delivered", "missed", "dropped")),
                  ValueCommitment.due_on, ValueCommitment.id)
        .limit(limit)
    ).all())


def is_overdue(commitment: ValueCommitment, today: date | None = None) -> bool:
    """Still planned or in progress after its due date."""
    today = today or date.today()
    return commitment.status in OPEN_COMMITMENT_STATUSES and commitment.due_on < today


def create_commitment(session: Session, account_id: int, data: dict[str, Any], *,
                      user_id: int | None = None) -> ValueCommitment:
    commitment = ValueCommitment(account_id=account_id, created_by_id=user_id,
                                 **{k: data[k] for k in COMMITMENT_FIELDS if k in data})
    session.add(commitment)
    session.flush()
    return commitment


def update_commitment(session: Session, commitment: ValueCommitment, data: dict[str, Any],
                      *, delivered_by: ValueEntry | None = None) -> None:
    """Change fields; linking the delivering entry marks the commitment delivered on its date.

    Moving away from `delivered` unlinks the entry and clears delivered_on.
    """
    for key in COMMITMENT_FIELDS:
        if key in data:
            setattr(commitment, key, data[key])
    current = session.exec(select(ValueEntry).where(
        ValueEntry.commitment_id == commitment.id)).all()
    if delivered_by is not None:
        for entry in current:
            if entry.id != delivered_by.id:
                entry.commitment_id = None
                session.add(entry)
        delivered_by.commitment_id = commitment.id
        session.add(delivered_by)
        commitment.status = "delivered"
        commitment.delivered_on = delivered_by.delivered_on
    elif commitment.status != "delivered":
        for entry in current:
            entry.commitment_id = None
            session.add(entry)
        commitment.delivered_on = None
    elif commitment.delivered_on is None:
        commitment.delivered_on = date.today()
    commitment.updated_at = utcnow()
    session.add(commitment)
