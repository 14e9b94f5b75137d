"""Factories for the summaries tests: value entries, confirmations, commitments, pulses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import (
    Account,
    Deal,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
)


def make_entry(session: Session, account: Account, title: str = "Faster invoicing",
               **kw: Any) -> ValueEntry:
    kw.setdefault("driver", "cost_reduction")
    kw.setdefault("amount", Decimal("1000"))
    kw.setdefault("unit", "currency")
    kw.setdefault("delivered_on", date(2026, 8, 15))
    entry = ValueEntry(account_id=account.id, title=title, **kw)
    session.add(entry)
    session.flush()
    return entry


def make_confirmation(session: Session, entry: ValueEntry, stakeholder: Stakeholder,
                      comment: str, **kw: Any) -> ValueConfirmation:
    kw.setdefault("response", "confirmed")
    kw.setdefault("responded_at", datetime(2026, 9, 1, tzinfo=UTC))
    row = ValueConfirmation(entry_id=entry.id, stakeholder_id=stakeholder.id, comment=comment,
                            **kw)
    session.add(row)
    session.flush()
    return row


def make_commitment(session: Session, account: Account, title: str, **kw: Any
                    ) -> ValueCommitment:
    kw.setdefault("driver", "productivity")
    kw.setdefault("due_on", date(2026, 11, 30))
    row = ValueCommitment(account_id=account.id, title=title, **kw)
    session.add(row)
    session.flush()
    return row


def make_pulse(session: Session, stakeholder: Stakeholder, ranking: list[str], **kw: Any
               ) -> LoyaltyPulse:
    kw.setdefault("taken_on", date(2026, 9, 10))
    row = LoyaltyPulse(stakeholder_id=stakeholder.id, account_id=stakeholder.account_id,
                       satisfaction=4, repurchase_intent="probably", recommend=8,
                       driver_ranking=ranking, **kw)
    session.add(row)
    session.flush()
    return row


def make_deal(session: Session, account: Account, name: str, **kw: Any) -> Deal:
    row = Deal(account_id=account.id, name=name, **kw)
    session.add(row)
    session.flush()
    return row


def seed_account_value(session: Session, account: Account, buyer: Stakeholder) -> None:
    """A realistic quarter (2026-Q3) for `account`: totals 12,500 currency, 7,500 confirmed."""
    e1 = make_entry(session, account, "Automated invoice matching", driver="cost_reduction",
                    amount=Decimal("7500"), evidence_status="confirmed",
                    description="Matching now runs nightly instead of by hand.")
    make_entry(session, account, "New upsell playbook", driver="revenue_growth",
               amount=Decimal("5000"), delivered_on=date(2026, 7, 20))
    make_entry(session, account, "Onboarding hours saved", driver="productivity",
               amount=Decimal("120"), unit="hours", delivered_on=date(2026, 9, 2))
    make_entry(session, account, "Last year's rollout", driver="strategic",
               amount=Decimal("2000"), delivered_on=date(2025, 11, 3),
               evidence_status="confirmed")
    make_confirmation(session, e1, buyer, "Our finance team closes the month two days earlier.")
    make_commitment(session, account, "Self-service reporting", due_on=date(2026, 11, 15),
                    expected_amount=Decimal("40"), unit="hours")
    make_commitment(session, account, "Contract renewal analytics", due_on=date(2026, 12, 20),
                    driver="revenue_growth", expected_amount=Decimal("9000"))
    make_commitment(session, account, "Far future thing", due_on=date(2027, 6, 1))
