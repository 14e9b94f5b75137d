"""One definition per domain rule: each Python predicate agrees with its SQL condition, and
every page, export and e-mail path asks the same rule (contact, loyalty, commitments,
margin tiers)."""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker import value
from valuetracker.exports import build_quarter_export
from valuetracker.models import (
    COMMITMENT_STATUSES,
    CONTACT_BLOCKS,
    ERASED,
    LEFT_COMPANY,
    NO_EMAIL,
    OPTED_OUT,
    REPURCHASE_INTENTS,
    LoyaltyPulse,
    Stakeholder,
    User,
    ValueCommitment,
    detractor_condition,
    is_satisfied_not_loyal,
    nps_group,
    promoter_condition,
    satisfied_not_loyal_condition,
)
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.coverage import coverage_state
from valuetracker.summaries.scope import stakeholder_exclusion
from valuetracker.summaries.send import skip_reason
from valuetracker.value.outreach import unreachable_reason

from .factories import make_account, make_stakeholder

MOMENT = datetime(2026, 1, 5, tzinfo=UTC)


# --- May we contact this person? ---------------------------------------------------------

def test_contact_rule_in_python_and_sql_agree_for_every_combination(
        session: Session, cast: Any) -> None:
    people = {}
    for erased, left, opted_out, email in itertools.product((False, True), repeat=4):
        name = f"P{int(erased)}{int(left)}{int(opted_out)}{int(email)}"
        people[name] = make_stakeholder(
            session, cast.account1, name, email=f"{name.lower()}@x.example" if email else None,
            erased_at=MOMENT if erased else None, left_company_at=MOMENT if left else None,
            opted_out_at=MOMENT if opted_out else None)
    make_stakeholder(session, cast.account1, "Blank", email="")
    session.commit()
    everyone = session.exec(select(Stakeholder).where(
        Stakeholder.account_id == cast.account1.id)).all()
    for by_email in (False, True):
        allowed = set(session.exec(select(Stakeholder.name).where(
            Stakeholder.account_id == cast.account1.id,
            Stakeholder.contactable_condition(by_email=by_email))).all())
        for person in everyone:
            reason = person.contact_block_reason(by_email=by_email)
            assert (reason is None) == (person.name in allowed), (person.name, by_email)
            assert reason is None or reason in CONTACT_BLOCKS
    # The first reason that applies, in one order everywhere.
    assert people["P1111"].contact_block_reason(by_email=True) == ERASED
    assert people["P0111"].contact_block_reason(by_email=True) == LEFT_COMPANY
    assert people["P0011"].contact_block_reason(by_email=True) == OPTED_OUT
    assert people["P0000"].contact_block_reason(by_email=True) == NO_EMAIL
    assert people["P0000"].contact_block_reason(by_email=False) is None


def test_links_summaries_and_coverage_give_the_same_reasons(session: Session,
                                                            cast: Any) -> None:
    both = make_stakeholder(session, cast.account1, "Both", left_company_at=MOMENT,
                            opted_out_at=MOMENT)
    nomail = make_stakeholder(session, cast.account1, "No Mail", email=None, is_key=True)
    session.commit()
    # Left and opted out: "left the company" for the link page, the sending and coverage.
    assert unreachable_reason(both) == skip_reason(both) == LEFT_COMPANY
    assert coverage_state(both.contact_block_reason(by_email=True), sent=False,
                          generated=False) == ("skipped", LEFT_COMPANY)
    # No address: no link, no summary, and not in the send that coverage counts.
    assert unreachable_reason(nomail) == skip_reason(nomail) == NO_EMAIL
    assert stakeholder_exclusion(nomail, cast.account1) == NO_EMAIL
    assert coverage_state(stakeholder_exclusion(nomail, cast.account1), sent=False,
                          generated=True) == ("skipped", NO_EMAIL)
    assert skip_reason(None) == ERASED
    assert unreachable_reason(cast.stakeholder1) is None


# --- Loyalty thresholds ------------------------------------------------------------------

def test_loyalty_rules_in_python_and_sql_agree(session: Session, cast: Any) -> None:
    for recommend, satisfaction, intent in itertools.product(
            range(11), range(1, 6), REPURCHASE_INTENTS):
        session.add(LoyaltyPulse(stakeholder_id=cast.stakeholder1.id,
                                 account_id=cast.account1.id, taken_on=date(2026, 1, 1),
                                 satisfaction=satisfaction, repurchase_intent=intent,
                                 recommend=recommend))
    session.commit()
    rows = session.exec(select(
        LoyaltyPulse.recommend, LoyaltyPulse.satisfaction, LoyaltyPulse.repurchase_intent,
        sa.case((promoter_condition(LoyaltyPulse.recommend), 1), else_=0),
        sa.case((detractor_condition(LoyaltyPulse.recommend), 1), else_=0),
        sa.case((satisfied_not_loyal_condition(LoyaltyPulse.satisfaction,
                                               LoyaltyPulse.repurchase_intent), 1), else_=0),
    )).all()
    assert len(rows) == 11 * 5 * len(REPURCHASE_INTENTS)
    for recommend, satisfaction, intent, promoter, detractor, not_loyal in rows:
        group = nps_group(recommend)
        assert bool(promoter) == (group == "promoter")
        assert bool(detractor) == (group == "detractor")
        assert bool(not_loyal) == is_satisfied_not_loyal(satisfaction, intent)
    # docs/definitions.md: promoters 9-10, detractors 0-6, passives 7-8.
    assert [nps_group(n) for n in range(11)] == ["detractor"] * 7 + ["passive"] * 2 + [
        "promoter"] * 2
    assert is_satisfied_not_loyal(4, "probably") and is_satisfied_not_loyal(5, "not_sure")
    assert not is_satisfied_not_loyal(5, "definitely") and not is_satisfied_not_loyal(3, "no")


# --- Commitments: open, overdue, on time -------------------------------------------------

def test_commitment_rules_in_python_and_sql_agree(session: Session, cast: Any) -> None:
    today = date(2026, 6, 15)
    days = (date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 30))
    for status, due_on, delivered_on in itertools.product(
            COMMITMENT_STATUSES, days, (None, *days)):
        session.add(ValueCommitment(account_id=cast.account1.id, title="c", driver="strategic",
                                    due_on=due_on, status=status, delivered_on=delivered_on))
    session.commit()
    rows = session.exec(select(
        ValueCommitment,
        sa.case((ValueCommitment.open_condition(), 1), else_=0),
        sa.case((ValueCommitment.overdue_condition(today), 1), else_=0),
        sa.case((ValueCommitment.on_time_condition(), 1), else_=0),
    )).all()
    assert len(rows) == len(COMMITMENT_STATUSES) * 3 * 4
    for commitment, is_open, overdue, on_time in rows:
        assert bool(is_open) == commitment.is_open
        assert bool(overdue) == commitment.is_overdue(today)
        assert bool(on_time) == commitment.delivered_on_time
    late = ValueCommitment(account_id=1, title="c", driver="strategic", status="delivered",
                           due_on=days[0], delivered_on=days[1])
    assert not late.delivered_on_time and not late.is_open


# --- Margin tiers: a portfolio-wide fact --------------------------------------------------

def _portfolio_tier(client: Any, name: str) -> str | None:
    """The tier card of the portfolio page that lists the account `name`."""
    html = client.get("/portfolio").get_data(as_text=True)
    for card in html.split('class="card h-100 tier-')[1:]:
        if re.search(rf">{re.escape(name)}</a>", card.split("</ul>")[0]):
            return card.split('"')[0]
    return None


def _export_tiers(session: Session, user: User, tmp_path: Path) -> list[dict[str, Any]]:
    """{account: margin tier} of the user's export, in the workbook and in the CSV zip."""
    quarter = parse_quarter("2026-Q3")
    xlsx, zipped = tmp_path / f"{user.id}.xlsx", tmp_path / f"{user.id}.zip"
    build_quarter_export(session, quarter=quarter, path=xlsx, user=user)
    build_quarter_export(session, quarter=quarter, path=zipped, fmt="csv", user=user)
    rows = list(openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True))
    tier = rows[0].index("Margin tier")
    from_xlsx = {row[0]: row[tier] for row in rows[1:]}
    with zipfile.ZipFile(zipped) as archive:
        text = archive.read("summary.csv").decode("utf-8-sig")
    from_csv = {row["Account"]: row["Margin tier"] or None
                for row in csv.DictReader(io.StringIO(text, newline=""))}
    return [from_xlsx, from_csv]


def test_an_accounts_tier_is_the_same_for_its_manager_and_a_leader(
        app: Flask, session: Session, cast: Any, login_as: Any, tmp_path: Path) -> None:
    # Others' accounts earn more, so over the whole portfolio Acme Robotics ranks 4th of
    # 6 (bottom half, positive margin: grow). Among its manager's two accounts alone it
    # would rank 1st (keep): the tier must not depend on who looks.
    for name, revenue in (("Big One", "1000000"), ("Big Two", "800000"),
                          ("Big Three", "600000")):
        make_account(session, name, owner=cast.am2, annual_revenue=Decimal(revenue),
                     cost_to_serve=Decimal("100000"))
    make_account(session, "Acme Robotics", owner=cast.am1, annual_revenue=Decimal("300000"),
                 cost_to_serve=Decimal("100000"))
    session.commit()
    tiers = {t.name: t.tier for t in value.margin_tiers(session)}
    assert tiers["Acme Robotics"] == "grow" and tiers["Acme Corp"] == "grow"

    own = value.margin_tiers(session, account_ids=[cast.account1.id])
    assert [(t.name, t.tier, t.revenue_rank) for t in own] == [("Acme Corp", "grow", 5)]
    for user in (cast.am1, cast.leader):
        client = login_as(user)
        assert _portfolio_tier(client, "Acme Robotics") == "grow", user.role
        assert _portfolio_tier(client, "Acme Corp") == "grow", user.role
        for exported in _export_tiers(session, user, tmp_path):
            assert exported["Acme Robotics"] == "Grow", user.role
            assert exported["Acme Corp"] == "Grow", user.role
    manager = login_as(cast.am1)
    assert _portfolio_tier(manager, "Big One") is None  # only their own rows
    assert "Big One" not in _export_tiers(session, cast.am1, tmp_path)[0]
    assert _portfolio_tier(login_as(cast.leader), "Big One") == "keep"
