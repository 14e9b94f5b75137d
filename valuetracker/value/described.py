"""Value the customer described: what they told us we delivered that we had not listed.

A confirmation link asks "Did we deliver value we did not list?". The answer is the
customer's words, with no driver and no figure, so it becomes an entry in evidence status
`described` (`describe_value`): no driver, no amount, counted in no figure, list, export
or link (`ValueEntry.counted_condition`), and shown as their words. The account team then
reviews it (`review_described_entry`): either gives it a driver, an amount and a unit,
and it becomes a `confirmed` entry (the customer told us, so it is their evidence), or
dismisses it. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, models
from ..db import check_version
from ..models import DESCRIBED, Stakeholder, ValueConfirmation, ValueEntry, utcnow
from .entries import add_entry

# What the team sets when it reviews a described entry.
REVIEW_FIELDS = ("title", "driver", "amount", "unit", "delivered_on")
# The status a reviewed entry takes: the customer told us about it themselves.
REVIEWED_STATUS = "confirmed"
MAX_TITLE = 120


def title_from(text: str) -> str:
    """An entry title from the customer's words: their first line, cut to MAX_TITLE."""
    first = text.strip().splitlines()[0].strip()
    return first if len(first) <= MAX_TITLE else first[:MAX_TITLE - 3].rstrip() + "…"


def describe_value(session: Session, account: models.Account, text: str, *,
                   stakeholder_id: int | None, link_id: int | None = None,
                   today: date | None = None) -> ValueEntry:
    """A `described` entry from a customer's words, and their answer recording who said it.

    The entry has no driver and no amount; the stakeholder is its beneficiary; the answer
    (response `described`, the words as its comment) says who and when, like any other
    answer. `today` (the demo, tests) dates both. No audit event: a step of
    `outreach.submit_confirmation`, audited as one answer.
    """
    entry = add_entry(session, account, {
        "title": title_from(text), "description": text, "driver": None, "amount": None,
        "unit": "currency", "delivered_on": today or date.today(),
        "evidence_status": DESCRIBED, "source": "customer",
    }, beneficiaries=[stakeholder_id] if stakeholder_id else None)
    when = datetime.combine(today, time(12), UTC) if today is not None else utcnow()
    session.add(ValueConfirmation(entry_id=entry.id, stakeholder_id=stakeholder_id,
                                  response=DESCRIBED, comment=text, method="link",
                                  link_id=link_id, responded_at=when))
    return entry


@dataclass
class Described:
    """A described entry waiting for review, with who described it."""

    entry: ValueEntry
    name: str | None
    described_at: datetime | None


def described_entries(session: Session, *, account_id: int, limit: int = 50
                      ) -> list[Described]:
    """The account's described entries still waiting for review, oldest first (one query)."""
    rows = session.exec(
        select(ValueEntry, Stakeholder.name, ValueConfirmation.responded_at)
        .join(ValueConfirmation, sa.and_(ValueConfirmation.entry_id == ValueEntry.id,
                                         ValueConfirmation.response == DESCRIBED),
              isouter=True)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id, isouter=True)
        .where(ValueEntry.account_id == account_id, ValueEntry.evidence_status == DESCRIBED)
        .order_by(ValueEntry.delivered_on, ValueEntry.id)
        .limit(limit)
    ).all()
    return [Described(entry, name, at) for entry, name, at in rows]


class ReviewError(ValueError):
    """Why a described entry cannot be reviewed (already reviewed, missing figure)."""


def review_described_entry(
    session: Session, entry: ValueEntry, *, accept: bool,
    data: dict[str, Any] | None = None, expected_version: Any = None,
    user: models.User | None = None,
) -> ValueEntry | None:
    """The team's review of a described entry: `accept` it with `data` (title, driver,
    amount, unit, delivered on), after which it is a `confirmed` entry counted like any
    other, or dismiss it (the entry, its beneficiaries and the customer's answer are
    deleted; the audit event keeps their words).

    Raises ReviewError when the entry is not `described` (someone reviewed it already)
    or an accepted one lacks a driver or an amount, and `db.StaleEditError` when the
    entry changed since `expected_version`. Records one "review value_entry" event.
    Returns the entry, or None when dismissed. Does not commit.
    """
    if not entry.is_described:
        raise ReviewError("This value was already reviewed.")
    values = {k: (data or {}).get(k) for k in REVIEW_FIELDS}
    if accept and (not values["driver"] or values["amount"] is None):
        raise ReviewError("Choose the value driver and enter the amount.")
    # Of two reviews of the same entry (two tabs, two colleagues) exactly one is taken.
    check_version(session, entry, entry.version if expected_version is None
                  else expected_version)
    if not accept:
        words, title, entry_id = entry.description, entry.title, entry.id
        session.execute(sa.delete(models.ValueEntryBeneficiary).where(
            models.ValueEntryBeneficiary.entry_id == entry.id))
        session.execute(sa.delete(ValueConfirmation).where(
            ValueConfirmation.entry_id == entry.id))
        session.delete(entry)
        audit.record(session, "review", "value_entry", entry_id,
                     f"described value '{title}' dismissed",
                     details={"decision": "dismissed", "words": words}, user=user)
        return None
    values["amount"] = Decimal(values["amount"])
    values["title"] = values["title"] or entry.title
    values["unit"] = values["unit"] or entry.unit
    values["delivered_on"] = values["delivered_on"] or entry.delivered_on
    values["evidence_status"] = REVIEWED_STATUS
    audit.apply_changes(
        session, entry, values, entity="value_entry", action="review",
        summary=lambda: f"described value '{entry.title}' reviewed: added as "
                        f"{REVIEWED_STATUS} value",
        user=user)
    return entry
