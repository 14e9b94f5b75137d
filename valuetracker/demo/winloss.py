"""Demo data of the winloss area: taxonomy, competitors, guides, rules, ~150 deals over six
quarters with debriefs, and buyer interviews with factor ratings and quotes.

Reads what the core demo made from the database (not only from `made`), since that
file is written separately; creates a few accounts of its own only if there are none.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from ..models import (
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    DecisionFactor,
    FactorRating,
    GuideQuestion,
    InterviewGuide,
    InterviewQuote,
    ProgramRule,
    Stakeholder,
    User,
    WinLossInterview,
    slugify,
)
from ..quarters import current_quarter
from ..winloss.taxonomy import ensure_default_taxonomy

COMPETITORS = (
    ("Microsoft", "MSFT; Microsoft Corp; Dynamics"),
    ("Salesforce", "SFDC; Salesforce.com"),
    ("HubSpot", "Hubspot Inc"),
    ("Oracle", "ORCL"),
    ("In-house build", "Build; DIY"),
)

GUIDES = (
    ("Won deal interview", "won", (
        ("What problem were you trying to solve?", "text", None, None),
        ("How well did our product fit your needs?", "rating", "Product fit", None),
        ("How was working with our sales team?", "rating", "Sales experience", None),
        ("What almost made you choose someone else?", "text", None, None),
        ("Who else did you seriously consider?", "choice", None,
         "Microsoft;Salesforce;HubSpot;Oracle;Nobody"),
    )),
    ("Lost deal interview", "lost", (
        ("What problem were you trying to solve?", "text", None, None),
        ("How did our price compare?", "rating", "Price", None),
        ("How well did our product fit your needs?", "rating", "Product fit", None),
        ("What was the deciding factor?", "text", None, None),
        ("Would you consider us again?", "choice", None, "Yes;Maybe;No"),
    )),
    ("General buyer interview", "any", (
        ("How did the decision come about?", "text", None, None),
        ("How easy were we to evaluate?", "rating", "Ease of use", None),
        ("What should we do differently?", "text", None, None),
    )),
)

PRODUCTS = ("Platform", "Analytics add-on", "Services")
SEGMENTS_FALLBACK = (("Northwind Traders", "Enterprise"), ("Contoso Health", "Mid-market"),
                     ("Fabrikam Logistics", "Enterprise"), ("Tailspin Retail", "SMB"))
QUOTES = {
    "Price": ("Your price was about 30% above the others for the same scope.",
              "Honestly the pricing was fair for what we got."),
    "Product fit": ("It did exactly what our team needed on day one.",
                    "We needed deeper reporting and it just was not there."),
    "Features": ("The workflow builder won the technical team over.",
                 "Missing SSO for contractors was a deal breaker."),
    "Ease of use": ("People started using it without any training.",
                    "The admin screens felt dated compared to the others."),
    "Implementation": ("The rollout plan was the most credible we saw.",
                       "A six-month implementation was too long for us."),
    "Support": ("Your support team answered our trial questions within the hour.",
                "We never got a straight answer on support hours."),
    "Relationship": ("Your account manager understood our business.",
                     "We had a long relationship with the incumbent."),
    "Sales experience": ("The sales process was refreshingly low-pressure.",
                         "Too many people on every call; it felt like a hard sell."),
    "Timing": ("The renewal date forced a decision and you were ready.",
               "The project got pushed to next year."),
    "Budget": ("Budget was approved early, which helped.",
               "Budget was frozen in the middle of the evaluation."),
}
OUTSIDE_CONTACTS = (("Morgan Lee", "Head of Operations"), ("Priya Shah", "IT Director"),
                    ("Sam Ortiz", "CFO"), ("Jordan Kim", "Procurement Lead"))


def _accounts(session: Session, made: dict[str, Any]) -> list[Account]:
    accounts = list(session.exec(select(Account).order_by(Account.id)).all())
    if accounts:
        return accounts
    owner = session.exec(select(User).where(User.role == "account_manager")).first()
    for name, segment in SEGMENTS_FALLBACK:
        session.add(Account(name=name, slug=slugify(name), segment=segment, tier="key",
                            owner_id=owner.id if owner else None))
    session.flush()
    return list(session.exec(select(Account).order_by(Account.id)).all())


def _competitors(session: Session) -> list[Competitor]:
    existing = {c.name: c for c in session.exec(select(Competitor)).all()}
    for name, aliases in COMPETITORS:
        if name not in existing:
            existing[name] = Competitor(name=name, aliases=aliases)
            session.add(existing[name])
    session.flush()
    return [existing[name] for name, _ in COMPETITORS]


def _guides(session: Session, factors: dict[str, DecisionFactor]) -> None:
    if session.exec(select(InterviewGuide)).first() is not None:
        return
    for name, outcome, questions in GUIDES:
        guide = InterviewGuide(name=name, outcome=outcome)
        session.add(guide)
        session.flush()
        for i, (text, kind, factor, options) in enumerate(questions, start=1):
            session.add(GuideQuestion(guide_id=guide.id, position=i * 10, text=text, kind=kind,
                                      choices=options,
                                      factor_id=factors[factor].id if factor else None))
    session.flush()


def seed(session: Session, made: dict[str, Any]) -> None:
    """Add this area's demo rows; `made` carries what earlier areas created."""
    if session.exec(select(Deal.id).limit(1)).first() is not None:
        return  # already seeded
    rng = random.Random(20261123)
    ensure_default_taxonomy(session)
    factors = {f.name: f for f in session.exec(select(DecisionFactor)).all()}
    competitors = _competitors(session)
    _guides(session, factors)
    guides = {g.outcome: g for g in session.exec(select(InterviewGuide)).all()}
    session.add(ProgramRule(name="Every loss over $20k", outcome="lost",
                            min_amount=Decimal("20000")))
    session.add(ProgramRule(name="Every deal against Salesforce",
                            competitor_id=competitors[1].id))
    accounts = _accounts(session, made)
    managers = list(session.exec(select(User).where(User.role == "account_manager")).all())
    analyst = session.exec(select(User).where(User.role.in_(("analyst", "admin")))).first()
    people: dict[int, list[Stakeholder]] = {}
    for person in session.exec(select(Stakeholder).where(Stakeholder.erased_at.is_(None))).all():
        people.setdefault(person.account_id, []).append(person)

    quarters = current_quarter().last(6)
    today = date.today()
    deals: list[Deal] = []
    comp_links: list[tuple[int, list[Competitor]]] = []
    for n in range(150):
        # Every account gets deals in every quarter (n % 6 would give the accounts whose
        # index shares a remainder with the quarter's all the deals of that quarter).
        account = accounts[n % len(accounts)]
        quarter = quarters[(n // len(accounts)) % 6]
        closed_on = quarter.start + timedelta(days=rng.randrange(0, 88))
        competitor_set = rng.sample(competitors, rng.choice((0, 1, 1, 1, 2)))
        # Outcome odds: better in Enterprise, worse against Salesforce and in-house builds.
        p_win = 0.45 + (0.1 if (account.segment or "") == "Enterprise" else 0)
        p_win -= 0.15 * sum(c.name in ("Salesforce", "In-house build") for c in competitor_set)
        roll = rng.random()
        outcome = "won" if roll < p_win else ("lost" if roll < 0.85 else "no_decision")
        if closed_on > today or n >= 138:
            outcome, closed_on = "open", None
        amount = Decimal(rng.choice((8, 12, 18, 25, 40, 60, 95, 150))) * 1000
        owner_id = account.owner_id or (rng.choice(managers).id if managers else None)
        deal = Deal(
            account_id=None if outcome == "open" and n % 4 == 0 else account.id,
            name=f"{account.name} — {rng.choice(PRODUCTS)} {quarter.label}",
            external_id=f"DEMO-{1000 + n}", amount=amount, product=rng.choice(PRODUCTS),
            owner_id=owner_id, outcome=outcome, closed_on=closed_on,
            opened_on=(closed_on or today) - timedelta(days=rng.randrange(30, 160)),
            primary_competitor_id=competitor_set[0].id if competitor_set else None,
        )
        if outcome != "open" and rng.random() < 0.8:
            reasons = ("Product fit", "Relationship", "Features", "Value delivered") \
                if outcome == "won" else ("Price", "Features", "Timing", "Budget")
            deal.rep_reason_id = factors[rng.choice(reasons)].id
            deal.rep_notes = "Rep debrief: " + ("strong champion." if outcome == "won"
                                                else "lost on the final call.")
        session.add(deal)
        deals.append(deal)
        comp_links.append((n, competitor_set))
    session.flush()
    for n, competitor_set in comp_links:
        for competitor in competitor_set:
            session.add(DealCompetitor(deal_id=deals[n].id, competitor_id=competitor.id))

    rated_factors = [f for name, f in factors.items() if name in QUOTES]
    for deal in deals:
        if deal.outcome == "open" or rng.random() > 0.45:
            continue
        status = rng.choices(("completed", "declined", "no_response", "requested", "scheduled"),
                             (60, 12, 12, 10, 6))[0]
        candidates = people.get(deal.account_id or -1, [])
        stakeholder = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        contact = rng.choice(OUTSIDE_CONTACTS) if stakeholder is None else (None, None)
        now = datetime.now(UTC)
        requested_at = min(now, datetime.combine(deal.closed_on, datetime.min.time(), UTC)
                           + timedelta(days=2))
        interview = WinLossInterview(
            deal_id=deal.id, stakeholder_id=stakeholder.id if stakeholder else None,
            contact_name=contact[0], contact_title=contact[1],
            interviewer_id=analyst.id if analyst else None,
            guide_id=(guides.get(deal.outcome) or guides.get("any")).id, status=status,
            channel=rng.choice(("video", "phone", "video", "survey")),
            anonymity=rng.choices(("named", "anonymized", "blind"), (6, 3, 1))[0],
            requested_at=requested_at,
        )
        if status == "completed":
            interview.completed_at = min(now, requested_at + timedelta(days=rng.randrange(5, 40)))
            reasons = ("Product fit", "Ease of use", "Support", "Relationship") \
                if deal.outcome == "won" else ("Price", "Product fit", "Implementation",
                                               "Timing")
            interview.primary_reason_id = factors[rng.choice(reasons)].id
        elif status == "scheduled":
            interview.scheduled_for = now + timedelta(days=rng.randrange(2, 14))
        session.add(interview)
        session.flush()
        if status != "completed":
            continue
        won = deal.outcome == "won"
        for factor in rng.sample(rated_factors, 5):
            # Won buyers rate fit and ease higher; lost buyers rate price lower.
            base = 3.6 if won else 2.7
            if factor.name in ("Product fit", "Ease of use", "Support"):
                base += 0.6 if won else -0.2
            if factor.name == "Price":
                base += 0.0 if won else -0.7
            rating = max(1, min(5, round(rng.gauss(base, 0.8))))
            effect = "win_driver" if won and rating >= 4 else (
                "loss_driver" if not won and rating <= 2 else "neutral")
            session.add(FactorRating(interview_id=interview.id, factor_id=factor.id,
                                     rating=rating, importance=rng.randint(2, 5),
                                     effect=effect))
        factor = rng.choice(rated_factors)
        text = QUOTES[factor.name][0 if won else 1]
        session.add(InterviewQuote(interview_id=interview.id, text=text, factor_id=factor.id,
                                   tags=";".join(rng.sample(
                                       ("pricing", "onboarding", "roadmap", "trust",
                                        "procurement", "demo"), 2))))
    session.flush()
    made["winloss"] = {"deals": len(deals), "competitors": len(competitors)}
