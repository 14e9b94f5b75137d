"""Demo data of the value area: eight quarters of value delivered, the customers'
confirmations (with their words), commitments kept, late and overdue, and loyalty
pulses whose driver rankings drift over time.

Deterministic (seeded generator, dates relative to today). Reads what demo/core.py
made, falling back to the tables when a key is missing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from ..models import (
    DRIVERS,
    Account,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    utcnow,
)
from ..quarters import current_quarter
from ..value.described import describe_value

SEED = 20261124
# The accounts whose story is trouble: a key stakeholder turned detractor and a
# commitment still in progress past its date. Elsewhere the people are promoters,
# passives or satisfied but not loyal, and a late commitment was marked missed.
TROUBLED = ("Blue Yonder Retail", "Fabrikam Manufacturing")

# What we delivered, per driver: (title, description, low, high amount)
ENTRY_IDEAS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "revenue_growth": (
        ("New self-service channel went live", "Online reorders now 18% of volume.", 40, 180),
        ("Upsell playbook for their sales team", "Two workshops; pipeline +12%.", 25, 120),
        ("Faster quote turnaround", "Quotes out in 1 day instead of 4.", 20, 90),
    ),
    "cost_reduction": (
        ("Automated invoice matching", "Removed manual three-way matching.", 30, 140),
        ("Consolidated licences", "Retired 140 unused seats.", 15, 60),
        ("Route optimisation rollout", "Fuel and overtime down in two regions.", 50, 220),
    ),
    "risk_reduction": (
        ("Disaster-recovery drill passed", "Recovery in 38 minutes, target 60.", 20, 110),
        ("Audit findings closed", "All 9 findings from the external audit closed.", 30, 150),
        ("Access reviews automated", "Quarterly reviews now take a day.", 10, 70),
    ),
    "productivity": (
        ("Month-end close shortened", "Close in 4 days instead of 7.", 20, 100),
        ("Onboarding time halved", "New hires productive in 2 weeks.", 15, 80),
        ("Report pack automated", "Board pack builds itself overnight.", 10, 60),
    ),
    "customer_experience": (
        ("Support response under 1 hour", "First response median 42 minutes.", 10, 60),
        ("Customer portal redesign", "Complaints about the portal down 70%.", 15, 90),
    ),
    "strategic": (
        ("Joint roadmap workshop", "Aligned the next 18 months with their board goals.", 5, 40),
        ("Executive sponsor programme", "Quarterly sessions with their COO.", 5, 30),
    ),
}
# Driver weights by segment, early quarters -> late quarters (value migration shows).
SEGMENT_WEIGHTS: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "Enterprise": ({"cost_reduction": 6, "productivity": 3, "risk_reduction": 2},
                   {"risk_reduction": 6, "strategic": 2, "cost_reduction": 2}),
    "Mid-market": ({"revenue_growth": 5, "productivity": 3},
                   {"customer_experience": 4, "revenue_growth": 3, "productivity": 2}),
}
DEFAULT_WEIGHTS = ({"cost_reduction": 3, "productivity": 3, "revenue_growth": 2},
                   {"productivity": 3, "customer_experience": 3, "revenue_growth": 2})
CONFIRM_QUOTES = (
    "Yes — our finance team saw it in the quarter's numbers.",
    "Confirmed. It freed two people for other work.",
    "That matches our own measurement, thanks for tracking it.",
    "Real and noticeable. The board asked about it.",
    "Correct, and it made my life easier personally.",
)
ADJUST_QUOTES = (
    "Real, but the saving was smaller than that in our books.",
    "Yes, though I would put the figure a bit lower.",
)
# Value a customer told us about that we had not listed (the biggest account's, waiting for
# the account manager's review on its value page).
DESCRIBED_VALUE = ("Your analyst spotted that a carrier had billed us twice for the same "
                   "loads, months before our own audit would have.")
DISPUTE_QUOTES = (
    "We never saw this benefit; the rollout stalled in our region.",
    "I cannot confirm this; the numbers came from your side only.",
)
COMMITMENTS = (
    ("Roll out the new reporting module", "productivity"),
    ("Reduce ticket backlog by 30%", "customer_experience"),
    ("Second data centre failover test", "risk_reduction"),
    ("Renegotiate freight rates", "cost_reduction"),
    ("Launch partner referral scheme", "revenue_growth"),
    ("Executive business review with the board", "strategic"),
)
EMOTION_TEXTS = (
    "Your engineer stayed late on a Friday to fix our outage.",
    "You called us before we noticed the problem.",
    "Maria remembered our launch date and sent the team a note.",
)


def seed(session: Session, made: dict[str, Any]) -> None:
    """Add value entries, confirmations, commitments and pulses for every demo account."""
    today = made.get("today") or date.today()
    accounts = made.get("accounts") or list(session.exec(select(Account)).all())
    by_account = made.get("stakeholders_by_account")
    if not by_account:
        by_account = {}
        for person in session.exec(select(Stakeholder)).all():
            by_account.setdefault(person.account_id, []).append(person)
    users = made.get("users") or {}
    quarters = current_quarter(1, today).last(8)
    counts = {"entries": 0, "confirmations": 0, "commitments": 0, "pulses": 0}
    for index, account in enumerate(accounts):
        if account.status not in ("active", "churned"):
            continue
        # A generator per account: what one account gets does not depend on how many
        # entries the others got, which varies with the day the demo is seeded.
        rng = random.Random(f"{SEED}:{account.name}")
        troubled = account.name in TROUBLED
        people = [p for p in by_account.get(account.id, []) if p.erased_at is None]
        key_people = [p for p in people if p.is_key] or people[:2]
        owner_id = account.owner_id or (users.get("am1").id if users.get("am1") else None)
        # One account goes quiet (no value for 90+ days) so "at risk" has an example.
        quiet = index == 3
        entries = _entries(session, rng, account, quarters, key_people, today, owner_id,
                           quiet=quiet)
        counts["entries"] += len(entries)
        counts["confirmations"] += _confirmations(session, rng, entries, key_people, owner_id)
        counts["commitments"] += _commitments(session, rng, account, entries, today, owner_id,
                                              troubled=troubled)
        if index == 0 and len(key_people) > 1:
            describe_value(session, account, DESCRIBED_VALUE, stakeholder_id=key_people[1].id,
                           today=today - timedelta(days=6))
            counts["described"] = counts.get("described", 0) + 1
        # The pulses draw from a generator of their own: each person's mood is then the
        # same whatever the day (the number of entries before it varies with the day).
        pulse_rng = random.Random(f"{SEED}:{account.name}:pulses")
        counts["pulses"] += _pulses(session, pulse_rng, account, people, quarters, today,
                                    owner_id, index, troubled=troubled)
    session.flush()
    made["value"] = counts


def _weights(segment: str | None, progress: float) -> list[int]:
    early, late = SEGMENT_WEIGHTS.get(segment or "", DEFAULT_WEIGHTS)
    return [max(1, round((1 - progress) * early.get(d, 1) + progress * late.get(d, 1)))
            for d in DRIVERS]


def _entries(session: Session, rng: random.Random, account: Account, quarters: list[Any],
             key_people: list[Stakeholder], today: date, owner_id: int | None, *,
             quiet: bool) -> list[ValueEntry]:
    scale = Decimal(account.annual_revenue or 300_000) / Decimal(1_000_000)
    entries = []
    for qi, quarter in enumerate(quarters):
        if account.status == "churned" and qi > 5:
            break
        for _ in range(rng.randint(2, 5)):
            driver = rng.choices(DRIVERS, weights=_weights(account.segment, qi / 7))[0]
            title, description, low, high = rng.choice(ENTRY_IDEAS[driver])
            last_day = min(quarter.end, today - timedelta(days=1))
            if quiet:
                last_day = min(last_day, today - timedelta(days=120))
            if last_day < quarter.start:
                continue
            delivered = quarter.start + timedelta(
                days=rng.randint(0, (last_day - quarter.start).days))
            hours = driver == "productivity" and rng.random() < 0.3
            amount = (Decimal(rng.randint(40, 400)) if hours
                      else (Decimal(rng.randint(low, high)) * 1000 * scale).quantize(
                          Decimal("1")))
            age = (today - delivered).days
            status = "claimed"
            if age > 60:
                status = rng.choices(("confirmed", "claimed", "disputed"), (7, 2, 1))[0]
            elif age > 20:
                status = rng.choices(("confirmed", "claimed"), (2, 1))[0]
            entry = ValueEntry(account_id=account.id, title=title, description=description,
                               driver=driver, amount=amount,
                               unit="hours" if hours else "currency", delivered_on=delivered,
                               evidence_status=status,
                               source=rng.choice(("QBR deck", "Ops report", "Customer call",
                                                  "Finance report")),
                               created_by_id=owner_id)
            session.add(entry)
            entries.append(entry)
    session.flush()
    for entry in entries:
        for person in rng.sample(key_people, k=min(len(key_people), rng.randint(1, 2))):
            session.add(ValueEntryBeneficiary(entry_id=entry.id, stakeholder_id=person.id))
    return entries


def _confirmations(session: Session, rng: random.Random, entries: list[ValueEntry],
                   key_people: list[Stakeholder], owner_id: int | None) -> int:
    count = 0
    for entry in entries:
        if entry.evidence_status == "claimed" or not key_people:
            continue
        person = rng.choice(key_people)
        when = utcnow().replace(year=entry.delivered_on.year, month=entry.delivered_on.month,
                                day=min(entry.delivered_on.day, 28)) + timedelta(days=14)
        if entry.evidence_status == "disputed":
            response, quote, adjusted = "disputed", rng.choice(DISPUTE_QUOTES), None
        elif rng.random() < 0.15 and entry.unit == "currency":
            response, quote = "adjusted", rng.choice(ADJUST_QUOTES)
            adjusted = (entry.amount * Decimal("0.8")).quantize(Decimal("1"))
            entry.amount = adjusted
        else:
            response, quote, adjusted = "confirmed", rng.choice(CONFIRM_QUOTES), None
        recorded = rng.random() < 0.3
        session.add(ValueConfirmation(
            entry_id=entry.id, stakeholder_id=person.id, response=response,
            adjusted_amount=adjusted, comment=quote, method="recorded" if recorded else "link",
            recorded_by_id=owner_id if recorded else None, responded_at=when))
        count += 1
    return count


def _commitments(session: Session, rng: random.Random, account: Account,
                 entries: list[ValueEntry], today: date, owner_id: int | None, *,
                 troubled: bool) -> int:
    plan = [  # (days from today to due, status, days late when delivered)
        (-150, "delivered", 0), (-90, "delivered", 12), (-45, "delivered", -5),
        (-20, "in_progress" if troubled else "missed", None), (30, "planned", None),
        (75, "in_progress", None),
    ]
    count = 0
    for (title, driver), (due_days, status, late) in zip(rng.sample(COMMITMENTS, 6), plan,
                                                         strict=True):
        due = today + timedelta(days=due_days)
        commitment = ValueCommitment(
            account_id=account.id, title=title, driver=driver,
            expected_amount=Decimal(rng.randint(20, 150) * 1000), due_on=due, status=status,
            delivered_on=due + timedelta(days=late) if late is not None else None,
            created_by_id=owner_id)
        session.add(commitment)
        session.flush()
        if status == "delivered":
            match = next((e for e in entries if e.commitment_id is None
                          and e.delivered_on <= due + timedelta(days=late or 0)), None)
            if match is not None:
                match.commitment_id = commitment.id
        count += 1
    return count


def _pulses(session: Session, rng: random.Random, account: Account,
            people: list[Stakeholder], quarters: list[Any], today: date,
            owner_id: int | None, index: int, *, troubled: bool) -> int:
    count = 0
    segment_early, segment_late = SEGMENT_WEIGHTS.get(account.segment or "", DEFAULT_WEIGHTS)
    respondents = [p for p in people if p.is_key or p.influence >= 3][:5]
    first_recommend: dict[int | None, int] = {}
    for pi, person in enumerate(respondents):
        mood = rng.choice(("promoter", "promoter", "promoter", "passive", "passive", "sbnl"))
        if troubled and pi == 0:
            mood = "detractor"
        if index == 0 and pi == 0:
            mood = "sbnl"  # the biggest account has a satisfied-but-not-loyal key person
        for qi in [q for q in range(1, len(quarters)) if q % 2 == 1 or q >= len(quarters) - 4]:
            quarter = quarters[qi]
            taken = min(quarter.start + timedelta(days=rng.randint(10, 80)),
                        today - timedelta(days=1))
            progress = qi / (len(quarters) - 1)
            weights = {d: (1 - progress) * segment_early.get(d, 1)
                       + progress * segment_late.get(d, 1) + rng.random() for d in DRIVERS}
            ranking = sorted(DRIVERS, key=lambda d: -weights[d])
            satisfaction, intent, recommend = {
                "promoter": (5, "definitely", rng.randint(9, 10)),
                "passive": (4, "definitely", rng.randint(7, 8)),
                "sbnl": (rng.randint(4, 5), rng.choice(("probably", "not_sure")),
                         rng.randint(7, 9)),
                "detractor": (rng.randint(2, 3), rng.choice(("probably_not", "not_sure")),
                              rng.randint(2, 6)),
            }[mood]
            # A person keeps the score of their first answer: a satisfied-but-not-loyal
            # person's 7-9 would otherwise flip between promoter and passive from quarter
            # to quarter, and the demo's NPS "drops" would depend on the day it is seeded.
            recommend = first_recommend.setdefault(person.id, recommend)
            emotion = mood == "promoter" and rng.random() < 0.6
            session.add(LoyaltyPulse(
                stakeholder_id=person.id, account_id=account.id, taken_on=taken,
                satisfaction=satisfaction, repurchase_intent=intent, recommend=recommend,
                positive_emotion=emotion,
                emotion_text=rng.choice(EMOTION_TEXTS) if emotion else None,
                driver_ranking=ranking,
                comment=rng.choice((None, "Good quarter overall.", "Reporting still slow.",
                                    "Keep the QBRs coming.")),
                method=rng.choice(("link", "recorded")),
                recorded_by_id=owner_id))
            count += 1
    return count
