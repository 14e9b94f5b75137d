"""The portfolio page: tiers, migration, priority drift and risks, scoped to the user."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import Stakeholder
from valuetracker.signals import refresh_signals

from .factories import make_account, make_entry, make_pulse, ranking


def test_portfolio_shows_every_section(session: Any, cast: Any, login_as: Any) -> None:
    today = date.today()
    make_entry(session, cast.account1, "3000", driver="risk_reduction", delivered_on=today)
    make_entry(session, cast.account1, "1000", driver="cost_reduction",
               delivered_on=today - timedelta(days=95), evidence_status="disputed")
    make_pulse(session, cast.stakeholder1, taken_on=today, ranking=ranking("strategic"))
    make_account(session, "Money Pit", annual_revenue=Decimal("50000"),
                 cost_to_serve=Decimal("90000"))
    session.commit()
    refresh_signals(session)
    session.commit()
    page = login_as(cast.leader).get("/portfolio")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Keep", "Grow", "Fix", "Let go", "Money Pit", "Accounts at risk",
                 "No value logged in 90 days", "Single-threaded", "Value migration", "Enterprise",
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
    """The "single-threaded" signal uses the stakeholders module's engaged rule."""
    from valuetracker import stakeholders
    from valuetracker.models import Signal

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

    def single_threaded() -> list[Signal]:
        refresh_signals(session, today=today)
        session.commit()
        return list(session.exec(select(Signal).where(
            Signal.account_id == account.id, Signal.kind == "single_threaded",
            Signal.cleared_at.is_(None))).all())

    counts = stakeholders.coverage_counts(session, today, account_ids=[account.id])
    assert counts[account.id]["engaged"] == 2 == stakeholders.MIN_ENGAGED
    assert single_threaded() == []

    edge = session.exec(select(Stakeholder).where(Stakeholder.name == "Edge")).one()
    edge.last_contacted_on = today - timedelta(days=91)
    session.commit()
    assert stakeholders.coverage_counts(session, today,
                                        account_ids=[account.id])[account.id]["engaged"] == 1
    [signal] = single_threaded()
    assert signal.message == "Recent is the only engaged contact at Acme Corp."


def test_at_risk_accounts_are_listed_a_page_at_a_time(session: Any, cast: Any,
                                                      login_as: Any) -> None:
    # An active account without value, stakeholders or economic buyer is in watch.
    for n in range(30):
        make_account(session, f"Risky {n:02d}")
    session.commit()
    refresh_signals(session)
    session.commit()
    client = login_as(cast.leader)

    def at_risk_table(path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        return html[html.index('id="at-risk"'):].split("</section>", 1)[0]

    first, second = at_risk_table("/portfolio"), at_risk_table("/portfolio?page=2")
    assert first.count("No value logged in 90 days") == 25 and "Page 1 of 2" in first
    # 30 new accounts plus the cast's own, all without value: the rest are on page 2.
    assert second.count("No value logged in 90 days") >= 5 and "Page 2 of 2" in second
    names = [f"Risky {i:02d}" for i in range(30)]
    on_1 = {n for n in names if n in first}
    on_2 = {n for n in names if n in second}
    assert on_1.isdisjoint(on_2) and len(on_1 | on_2) == 30


def test_each_tier_has_its_own_paged_list(session: Any, cast: Any, login_as: Any) -> None:
    for n in range(12):
        make_account(session, f"Drain {n:02d}", annual_revenue=Decimal(1000 + n),
                     cost_to_serve=Decimal(5000))
        make_account(session, f"Big {n:02d}", annual_revenue=Decimal(10_000_000 + n))
    session.commit()
    client = login_as(cast.leader)
    html = client.get("/portfolio").get_data(as_text=True)
    assert 'href="/portfolio/tiers/let_go"' in html
    listing = client.get("/portfolio/tiers/let_go").get_data(as_text=True)
    assert all(f"Drain {n:02d}" in listing for n in range(12))
    assert client.get("/portfolio/tiers/everything").status_code == 404
    # An account manager's tier page holds only their accounts.
    mine = login_as(cast.am1).get("/portfolio/tiers/keep").get_data(as_text=True)
    assert "Acme Corp" in mine and "Globex" not in mine and "Drain" not in mine
