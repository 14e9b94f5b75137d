"""The portfolio page: tiers, migration, priority drift and risks, scoped to the user."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import Stakeholder

from .factories import make_account
from .factories_value import make_entry, make_pulse, ranking


def test_portfolio_shows_every_section(session: Any, cast: Any, login_as: Any) -> None:
    today = date.today()
    make_entry(session, cast.account1, "3000", driver="risk_reduction", delivered_on=today)
    make_entry(session, cast.account1, "1000", driver="cost_reduction",
               delivered_on=today - timedelta(days=95), evidence_status="disputed")
    make_pulse(session, cast.stakeholder1, taken_on=today, ranking=ranking("strategic"))
    make_account(session, "Money Pit", annual_revenue=Decimal("50000"),
                 cost_to_serve=Decimal("90000"))
    session.commit()
    page = login_as(cast.leader).get("/portfolio")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Keep", "Grow", "Fix", "Let go", "Money Pit", "Accounts at risk",
                 "Disputed value", "Single-threaded", "Value migration", "Enterprise",
                 "Drift in stakeholders", "top half is rank", "<svg"):
        assert text in html, text


def test_account_managers_see_only_their_accounts(session: Any, cast: Any,
                                                  login_as: Any) -> None:
    make_entry(session, cast.account2, "500", delivered_on=date.today(),
               evidence_status="disputed")
    session.commit()
    mine = login_as(cast.am1).get("/portfolio").get_data(as_text=True)
    assert "Acme Corp" in mine and "Globex" not in mine and "Mid-market" not in mine
    theirs = login_as(cast.am2).get("/portfolio").get_data(as_text=True)
    assert "Globex" in theirs and "Acme Corp" not in theirs


def test_segment_filter(session: Any, cast: Any, login_as: Any) -> None:
    make_entry(session, cast.account1, "100", delivered_on=date.today())
    make_entry(session, cast.account2, "100", delivered_on=date.today())
    session.commit()
    client = login_as(cast.admin)
    html = client.get("/portfolio?segment=Mid-market").get_data(as_text=True)
    assert "Value by driver, Mid-market" in html and "Value by driver, Enterprise" not in html
    assert client.get("/portfolio?segment=<script>").status_code == 200


def test_single_threaded_counts_like_the_relationship_map(session: Any, cast: Any) -> None:
    """At-risk "single-threaded" uses the stakeholders module's engaged rule."""
    from valuetracker import stakeholders
    from valuetracker.value import at_risk_accounts

    from .factories import make_stakeholder

    today = date(2026, 11, 23)
    account = cast.account1
    make_stakeholder(session, account, "Recent", last_contacted_on=today - timedelta(days=10))
    make_stakeholder(session, account, "Edge", last_contacted_on=today - timedelta(days=90))
    make_stakeholder(session, account, "Stale", last_contacted_on=today - timedelta(days=91))
    make_stakeholder(session, account, "Opted out", last_contacted_on=today,
                     opted_out_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_stakeholder(session, account, "Never contacted")
    session.commit()

    counts = stakeholders.coverage_counts(session, today, account_ids=[account.id])
    assert counts[account.id]["engaged"] == 2 == stakeholders.MIN_ENGAGED
    risky = {a.id: a.reasons for a in at_risk_accounts(session, today=today)}
    assert "single_threaded" not in risky.get(account.id, {})

    edge = session.exec(select(Stakeholder).where(Stakeholder.name == "Edge")).one()
    edge.last_contacted_on = today - timedelta(days=91)
    session.commit()
    assert stakeholders.coverage_counts(session, today,
                                        account_ids=[account.id])[account.id]["engaged"] == 1
    risky = {a.id: a.reasons for a in at_risk_accounts(session, today=today)}
    assert risky[account.id]["single_threaded"] == "1 engaged contacts"
