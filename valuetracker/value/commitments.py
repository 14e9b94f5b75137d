"""Commitments: the value we promised to deliver next, and whether we did on time."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit
from ..db import check_version
from ..models import Account, User, ValueCommitment, ValueEntry, utcnow

COMMITMENT_FIELDS = ("title", "description", "driver", "expected_amount", "unit", "due_on",
                     "status")


def list_commitments(session: Session, *, account_id: int, limit: int = 200) -> list[Any]:
    """An account's commitments (open ones first, by due date) with the delivering entry."""
    return list(session.exec(
        select(ValueCommitment, ValueEntry.id, ValueEntry.title)
        .join(ValueEntry, ValueEntry.commitment_id == ValueCommitment.id, isouter=True)
        .where(ValueCommitment.account_id == account_id)
        .order_by(sa.not_(ValueCommitment.open_condition()),
                  ValueCommitment.due_on, ValueCommitment.id)
        .limit(limit)
    ).all())


def is_overdue(commitment: ValueCommitment, today: date | None = None) -> bool:
    """Still planned or in progress after its due date (`ValueCommitment.is_overdue`)."""
    return commitment.is_overdue(today or date.today())


def create_commitment(session: Session, account: Account, data: dict[str, Any], *,
                      delivered_by: ValueEntry | None = None,
                      user: User | None = None) -> ValueCommitment:
    """Add a commitment to the account, delivered by `delivered_by` if given (see
    `update_commitment` for what delivery sets).

    Records a "create value_commitment" event. Does not commit.
    """
    commitment = ValueCommitment(account_id=account.id,
                                 created_by_id=user.id if user is not None else None,
                                 **{k: data[k] for k in COMMITMENT_FIELDS if k in data})
    session.add(commitment)
    session.flush()
    if delivered_by is not None or commitment.status == "delivered":
        _set_delivery(session, commitment, delivered_by)
    audit.record(session, "create", "value_commitment", commitment.id,
                 f"commitment '{commitment.title}' on {account.name}", user=user)
    return commitment


def update_commitment(session: Session, commitment: ValueCommitment, data: dict[str, Any],
                      *, expected_version: Any, delivered_by: ValueEntry | None = None,
                      user: User | None = None) -> dict[str, list[Any]]:
    """Change fields; linking the delivering entry marks the commitment delivered on its date.

    Raises `db.StaleEditError` (nothing changed) when someone saved the commitment since
    the form was loaded at `expected_version`. Moving away from `delivered` unlinks the
    entry and clears delivered_on. Records an "update value_commitment" event with the
    changed fields (as asked; what delivery sets follows from them) and returns them.
    Does not commit.
    """
    check_version(session, commitment, expected_version)
    diff = audit.apply_changes(
        session, commitment, {k: data[k] for k in COMMITMENT_FIELDS if k in data},
        entity="value_commitment", summary=lambda: f"commitment '{commitment.title}' updated",
        user=user)
    _set_delivery(session, commitment, delivered_by)
    return diff


def _set_delivery(session: Session, commitment: ValueCommitment,
                  delivered_by: ValueEntry | None) -> None:
    """Link the delivering entry (status delivered, on its date) or, away from
    `delivered`, unlink entries and clear delivered_on."""
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
