"""Every value figure against a small hand-computed data set (docs/definitions.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker import value
from valuetracker.models import Account
from valuetracker.quarters import Quarter

from .factories import make_account, make_commitment, make_entry, make_pulse, make_stakeholder

TODAY = date(2026, 11, 23)
Q4 = Quarter(2026, 4)


def test_value_delivered_by_driver_and_period(session: Any, cast: Any) -> None:
    a = cast.account1
    make_entry(session, a, "1000", driver="cost_reduction", delivered_on=date(2026, 10, 5))
    make_entry(session, a, "500.50", driver="revenue_growth", delivered_on=date(2026, 11, 1))
    make_entry(session, a, "2000", driver="cost_reduction", delivered_on=date(2026, 2, 1))
    make_entry(session, a, "700", driver="productivity", delivered_on=date(2025, 6, 1))
    make_entry(session, a, "40", unit="hours", driver="productivity",
               delivered_on=date(2026, 10, 2))  # not currency: never in value delivered
    make_entry(session, cast.account2, "9999", delivered_on=date(2026, 10, 5))
    session.commit()
    periods = value.value_periods(session, quarter=Q4, account_ids=[a.id])
    assert periods.quarter["cost_reduction"] == Decimal("1000")
    assert periods.quarter_total == Decimal("1500.50")
    assert periods.year_to_date_total == Decimal("3500.50")
    assert periods.total_total == Decimal("4200.50")
    assert periods.total["productivity"] == Decimal("700")
    assert value.value_delivered(session, account_ids=[a.id], start=Q4.start,
                                 end=Q4.end) == Decimal("1500.50")
    assert value.value_delivered(session) == Decimal("14199.50")
    by_q = value.value_by_quarter(session, quarters=Q4.last(8), account_ids=[a.id])
    assert list(by_q) == [q.label for q in Q4.last(8)]
    assert by_q["2026-Q1"]["cost_reduction"] == Decimal("2000")
    assert by_q["2025-Q2"]["productivity"] == Decimal("700")
    assert by_q["2026-Q4"]["revenue_growth"] == Decimal("500.50")


def test_confirmed_share(session: Any, cast: Any) -> None:
    a = cast.account1
    make_entry(session, a, "300", evidence_status="confirmed")
    make_entry(session, a, "100", evidence_status="claimed")
    make_entry(session, a, "600", evidence_status="disputed")
    make_entry(session, a, "50", unit="hours", evidence_status="confirmed")
    session.commit()
    share = value.confirmed_share(session, account_ids=[a.id])
    assert (share.confirmed, share.total) == (Decimal("300"), Decimal("1000"))
    assert share.share == Decimal("0.3")
    assert value.confirmed_share(session, account_ids=[cast.account2.id]).share is None


def test_on_time_rate_counts_only_due_commitments(session: Any, cast: Any) -> None:
    a = cast.account1
    make_commitment(session, a, due_on=date(2026, 10, 10), status="delivered",
                    delivered_on=date(2026, 10, 10))  # on time (same day)
    make_commitment(session, a, due_on=date(2026, 10, 10), status="delivered",
                    delivered_on=date(2026, 10, 11))  # late
    make_commitment(session, a, due_on=date(2026, 11, 1), status="in_progress")  # overdue
    make_commitment(session, a, due_on=date(2026, 11, 2), status="missed")
    make_commitment(session, a, due_on=date(2026, 11, 3), status="dropped")  # not counted
    make_commitment(session, a, due_on=date(2026, 12, 15), status="delivered",
                    delivered_on=date(2026, 11, 20))  # not yet due: not counted
    session.commit()
    rate = value.on_time_rate(session, account_ids=[a.id], today=TODAY)
    assert (rate.on_time, rate.due) == (1, 4)
    assert rate.rate == Decimal("0.25")
    in_october = value.on_time_rate(session, account_ids=[a.id], start=date(2026, 10, 1),
                                    end=date(2026, 10, 31), today=TODAY)
    assert (in_october.on_time, in_october.due) == (1, 2)


def test_nps_and_satisfied_not_loyal_use_each_latest_pulse(session: Any, cast: Any) -> None:
    a = cast.account1
    people = [make_stakeholder(session, a, f"P{i}") for i in range(5)]
    # P0: was a detractor, now a promoter -> promoter (latest counts)
    make_pulse(session, people[0], taken_on=date(2026, 1, 1), recommend=3, satisfaction=2,
               intent="probably_not")
    make_pulse(session, people[0], taken_on=date(2026, 9, 1), recommend=10, satisfaction=5,
               intent="definitely")
    make_pulse(session, people[1], recommend=9, satisfaction=4, intent="probably")  # SBNL
    make_pulse(session, people[2], recommend=7, satisfaction=5, intent="not_sure")  # SBNL
    make_pulse(session, people[3], recommend=6, satisfaction=3, intent="probably")
    make_pulse(session, people[4], recommend=0, satisfaction=4, intent="definitely")
    make_pulse(session, cast.stakeholder2, recommend=0)  # other account
    session.commit()
    figures = value.loyalty(session, account_ids=[a.id])
    assert (figures.respondents, figures.promoters, figures.detractors) == (5, 2, 2)
    assert figures.nps == Decimal(0)
    assert figures.satisfied_not_loyal == 2
    assert value.nps(session, account_ids=[cast.account2.id]) == Decimal(-100)
    assert value.is_satisfied_not_loyal(4, "probably") is True
    assert value.is_satisfied_not_loyal(4, "definitely") is False
    assert value.is_satisfied_not_loyal(3, "not_sure") is False
    latest = {row.name: row for row in value.latest_pulses(session, account_id=a.id)}
    assert latest["P0"].recommend == 10


def test_margin_tiers(session: Any, cast: Any) -> None:
    for acc in (cast.account1, cast.account2):
        acc.status = "archived"
        session.add(acc)
    specs = {  # name: (revenue, cost)
        "Big profitable": ("1000", "100"),  # rank 1, top, +900 -> keep
        "Big loss": ("800", "900"),  # rank 2, top, -100 -> fix
        "Break even": ("800", "800"),  # rank 2 (tie), top, 0 -> fix
        "Small profitable": ("300", "100"),  # rank 4, bottom, +200 -> grow
        "Small loss": ("200", "250"),  # rank 5, bottom -> let go
    }
    for name, (revenue, cost) in specs.items():
        make_account(session, name, annual_revenue=Decimal(revenue), cost_to_serve=Decimal(cost))
    make_account(session, "No revenue", annual_revenue=None)
    session.commit()
    tiers = {t.name: t for t in value.margin_tiers(session)}
    assert {n: t.tier for n, t in tiers.items()} == {
        "Big profitable": "keep", "Big loss": "fix", "Break even": "fix",
        "Small profitable": "grow", "Small loss": "let_go",
    }
    assert tiers["Big loss"].margin == Decimal("-100")
    assert tiers["Break even"].revenue_rank == 2
    assert tiers["Small loss"].revenue_rank == 5
    # Scoping chooses which accounts are listed; the rank stays portfolio-wide.
    scoped = value.margin_tiers(
        session, account_ids=select(Account.id).where(Account.name.like("Small%")))
    assert [(t.name, t.tier, t.revenue_rank) for t in scoped] == [
        ("Small profitable", "grow", 4), ("Small loss", "let_go", 5)]


def test_value_migration_shares_and_change(session: Any, cast: Any) -> None:
    a, b = cast.account1, cast.account2  # Enterprise, Mid-market
    # Enterprise 2026-Q3: cost 300, revenue 100 -> 75% / 25%
    make_entry(session, a, "300", driver="cost_reduction", delivered_on=date(2026, 8, 1))
    make_entry(session, a, "100", driver="revenue_growth", delivered_on=date(2026, 8, 2))
    # Enterprise 2026-Q4: cost 100, revenue 300 -> 25% / 75%
    make_entry(session, a, "100", driver="cost_reduction", delivered_on=date(2026, 10, 1))
    make_entry(session, a, "300", driver="revenue_growth", delivered_on=date(2026, 10, 2))
    make_entry(session, a, "999", unit="hours", driver="strategic",
               delivered_on=date(2026, 10, 2))
    # Mid-market only in Q4
    make_entry(session, b, "50", driver="risk_reduction", delivered_on=date(2026, 11, 1))
    session.commit()
    result = {m.segment: m for m in value.value_migration(session, quarters=Q4.last(2))}
    ent = result["Enterprise"]
    assert list(ent.quarters) == ["2026-Q3", "2026-Q4"]
    q3, q4 = ent.quarters["2026-Q3"], ent.quarters["2026-Q4"]
    assert q3["cost_reduction"].share == Decimal("0.75")
    assert q3["cost_reduction"].change is None  # nothing the quarter before
    assert q4["cost_reduction"].share == Decimal("0.25")
    assert q4["cost_reduction"].change == Decimal("-0.5")
    assert q4["revenue_growth"].change == Decimal("0.5")
    assert q4["strategic"].share == Decimal(0)
    assert ent.totals["2026-Q4"] == Decimal("400")
    mid = result["Mid-market"]
    assert mid.quarters["2026-Q3"]["risk_reduction"].share is None
    assert mid.quarters["2026-Q4"]["risk_reduction"].share == Decimal(1)
    only_mid = value.value_migration(session, quarters=Q4.last(2), segment="Mid-market")
    assert [m.segment for m in only_mid] == ["Mid-market"]


def test_priority_drift(session: Any, cast: Any) -> None:
    from .factories import ranking

    s1 = cast.stakeholder1
    s3 = make_stakeholder(session, cast.account1, "Erin")
    make_pulse(session, s1, taken_on=date(2026, 8, 1), ranking=ranking("cost_reduction"))
    make_pulse(session, s3, taken_on=date(2026, 8, 2),
               ranking=ranking("cost_reduction", "revenue_growth"))
    make_pulse(session, s1, taken_on=date(2026, 10, 1), ranking=ranking("revenue_growth"))
    make_pulse(session, s3, taken_on=date(2026, 10, 2),
               ranking=ranking("cost_reduction", "revenue_growth"))
    make_pulse(session, cast.stakeholder2, taken_on=date(2026, 10, 3))  # no ranking
    session.commit()
    drift = value.priority_drift(session, quarters=Q4.last(2))
    q3, q4 = drift["2026-Q3"], drift["2026-Q4"]
    assert q3["cost_reduction"].first_place_share == Decimal(1)
    assert q3["cost_reduction"].average_rank == Decimal(1)
    assert q3["revenue_growth"].average_rank == Decimal(2)  # second in both rankings
    assert q4["revenue_growth"].average_rank == Decimal("1.5")  # first, then second
    assert q4["cost_reduction"].first_place_share == Decimal("0.5")
    assert q4["cost_reduction"].average_rank == Decimal("1.5")
    assert q4["revenue_growth"].responses == 2
    assert q4["strategic"].average_rank == Decimal(6)


def test_value_summary_matches_the_separate_figures(session: Any, cast: Any) -> None:
    a = cast.account1
    specs = [("1000", "cost_reduction", date(2026, 10, 5), "confirmed"),
             ("500.50", "revenue_growth", date(2026, 11, 1), "claimed"),
             ("2000", "cost_reduction", date(2026, 2, 1), "confirmed"),
             ("300", "strategic", date(2025, 12, 30), "confirmed"),
             ("700", "productivity", date(2023, 6, 1), "disputed")]  # older than 8 quarters
    for amount, driver, day, status in specs:
        make_entry(session, a, amount, driver=driver, delivered_on=day, evidence_status=status)
    make_entry(session, a, "40", unit="hours", delivered_on=date(2026, 10, 2))
    session.commit()
    ids = [a.id]
    summary = value.value_summary(session, quarter=Q4, account_ids=ids)
    assert summary.periods == value.value_periods(session, quarter=Q4, account_ids=ids)
    assert summary.by_quarter == value.value_by_quarter(session, quarters=Q4.last(8),
                                                        account_ids=ids)
    assert summary.confirmed == value.confirmed_share(session, account_ids=ids)
    assert summary.confirmed_year_to_date == value.confirmed_share(
        session, account_ids=ids, start=Q4.year_start, end=Q4.end)
    assert summary.confirmed_year_to_date.share == Decimal("3000") / Decimal("3500.50")
    assert summary.periods.total_total == Decimal("4500.50")
    # A fiscal year starting in April: year to date is 2026-Q1..Q3 (Apr-Dec 2026).
    april = Quarter(2026, 3, 4)  # Oct-Dec 2026
    fiscal = value.value_summary(session, quarter=april, account_ids=ids)
    assert fiscal.periods == value.value_periods(session, quarter=april, account_ids=ids)
