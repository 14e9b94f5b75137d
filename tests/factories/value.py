"""Factories for the value area: entries, commitments, pulses (the caller commits)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import (
    DRIVERS,
    Account,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueEntry,
    ValueEntryBeneficiary,
)


def make_entry(session: Session, account: Account, amount: str | int = "1000", *,
               driver: str = "cost_reduction", delivered_on: date = date(2026, 10, 1),
               beneficiaries: tuple[Stakeholder, ...] = (), **kw: Any) -> ValueEntry:
    kw.setdefault("title", f"Saved money ({amount})")
    entry = ValueEntry(account_id=account.id, amount=Decimal(str(amount)), driver=driver,
                       delivered_on=delivered_on, **kw)
    session.add(entry)
    session.flush()
    for person in beneficiaries:
        session.add(ValueEntryBeneficiary(entry_id=entry.id, stakeholder_id=person.id))
    session.flush()
    return entry


def make_commitment(session: Session, account: Account, *, due_on: date,
                    status: str = "planned", delivered_on: date | None = None,
                    **kw: Any) -> ValueCommitment:
    kw.setdefault("title", "Cut onboarding time in half")
    kw.setdefault("driver", "productivity")
    commitment = ValueCommitment(account_id=account.id, due_on=due_on, status=status,
                                 delivered_on=delivered_on, **kw)
    session.add(commitment)
    session.flush()
    return commitment


def make_pulse(session: Session, stakeholder: Stakeholder, *, taken_on: date = date(2026, 10, 1),
               satisfaction: int = 4, intent: str = "definitely", recommend: int = 9,
               ranking: list[str] | None = None, **kw: Any) -> LoyaltyPulse:
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
