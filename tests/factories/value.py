"""Value rows: entries, confirmations, commitments, loyalty pulses (the caller commits)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import (
    DRIVERS,
    Account,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
)


def make_entry(session: Session, account: Account, amount: str | int | Decimal = "1000", *,
               title: str | None = None, driver: str = "cost_reduction",
               delivered_on: date = date(2026, 10, 1),
               beneficiaries: tuple[Stakeholder, ...] = (), **kw: Any) -> ValueEntry:
    """A value entry (currency unless `unit=` says otherwise), with its beneficiaries."""
    if title is None:
        title = f"Saved money ({amount})"
    entry = ValueEntry(account_id=account.id, title=title, amount=Decimal(str(amount)),
                       driver=driver, delivered_on=delivered_on, **kw)
    session.add(entry)
    session.flush()
    for person in beneficiaries:
        session.add(ValueEntryBeneficiary(entry_id=entry.id, stakeholder_id=person.id))
    session.flush()
    return entry


def make_confirmation(session: Session, entry: ValueEntry, stakeholder: Stakeholder,
                      comment: str, **kw: Any) -> ValueConfirmation:
    """A stakeholder's answer about an entry (confirmed, unless `response=` says otherwise)."""
    kw.setdefault("response", "confirmed")
    kw.setdefault("responded_at", datetime(2026, 9, 1, tzinfo=UTC))
    row = ValueConfirmation(entry_id=entry.id, stakeholder_id=stakeholder.id, comment=comment,
                            **kw)
    session.add(row)
    session.flush()
    return row


def make_commitment(session: Session, account: Account, *, due_on: date,
                    title: str = "Cut onboarding time in half", driver: str = "productivity",
                    status: str = "planned", delivered_on: date | None = None,
                    **kw: Any) -> ValueCommitment:
    """A value commitment due on `due_on`."""
    commitment = ValueCommitment(account_id=account.id, title=title, driver=driver,
                                 due_on=due_on, status=status, delivered_on=delivered_on, **kw)
    session.add(commitment)
    session.flush()
    return commitment


def make_pulse(session: Session, stakeholder: Stakeholder, *, taken_on: date = date(2026, 10, 1),
               satisfaction: int = 4, intent: str = "definitely", recommend: int = 9,
               ranking: list[str] | None = None, **kw: Any) -> LoyaltyPulse:
    """A loyalty pulse; `intent` is the repurchase intent, `ranking` the driver ranking."""
    pulse = LoyaltyPulse(stakeholder_id=stakeholder.id, account_id=stakeholder.account_id,
                         taken_on=taken_on, satisfaction=satisfaction,
                         repurchase_intent=intent, recommend=recommend,
                         driver_ranking=ranking, **kw)
    session.add(pulse)
    session.flush()
    return pulse


def ranking(*first: str) -> list[str]:
    """A full driver ranking starting with `first`, the others in their usual order."""
    return [*first, *[d for d in DRIVERS if d not in first]]
