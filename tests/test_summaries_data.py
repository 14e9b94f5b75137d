"""The PDF summary's figures are the value module's figures (one definition)."""

from __future__ import annotations

import base64
import re
from datetime import date
from decimal import Decimal

from flask import Flask
from sqlmodel import Session

from valuetracker import value
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.data import summary_data
from valuetracker.summaries.generate import build_pdf, summary_charts

from .conftest import pdf_text
from .factories import make_commitment, make_entry, make_pulse
from .factories.scenarios import seed_account_value


def test_pdf_figures_equal_the_account_value_page(app: Flask, session: Session,
                                                  cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)
    make_entry(session, account, title="Older win", driver="productivity", amount=Decimal("300"),
               delivered_on=date(2026, 2, 10), evidence_status="confirmed")
    session.commit()
    quarter = parse_quarter("2026-Q3")

    data = summary_data(session, account, buyer, quarter)
    with app.test_request_context():
        page = value.account_value_page(session, account, today=date(2026, 9, 30))
    summary = value.value_summary(session, quarter=quarter, account_ids=[account.id])

    assert page["quarter"] == quarter
    for figures in (page["summary"], summary):
        assert data.value_quarter == figures.periods.quarter_total == 12500
        assert data.value_year == figures.periods.year_to_date_total == 12800
        assert data.value_all_time == figures.periods.total_total == 14800
        assert data.value_all_time_confirmed == figures.confirmed.confirmed == 9800
        assert data.confirmed_share_all_time == figures.confirmed.share
        by_driver = {f.driver: f for f in data.drivers if f.unit == "currency"}
        for driver, amount in figures.periods.quarter.items():
            if amount:
                assert by_driver[driver].quarter == amount
                assert by_driver[driver].year == figures.periods.year_to_date[driver]
                assert by_driver[driver].all_time == figures.periods.total[driver]
    # The quarter's confirmed share is the value module's confirmed_share over the quarter.
    share = value.confirmed_share(session, account_ids=[account.id], start=quarter.start,
                                  end=quarter.end)
    assert data.confirmed_share == share.share == Decimal(7500) / Decimal(12500)
    assert data.value_quarter_confirmed == share.confirmed == 7500
    assert data.money_drivers_quarter == 12500
    # Hours are not currency value: they stay out of the value figures.
    assert data.hours_quarter == 120
    assert data.quarter_series == [(q.label, sum(page["summary"].by_quarter[q.label].values(),
                                                 Decimal(0))) for q in quarter.last(4)]
    assert dict(data.quarter_series)["2026-Q3"] == 12500


def test_past_quarter_all_time_stops_at_the_quarter_end(session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)
    make_entry(session, account, title="Next quarter's win", amount=Decimal("999"),
               delivered_on=date(2026, 10, 5))
    session.commit()
    quarter = parse_quarter("2026-Q3")

    data = summary_data(session, account, None, quarter)
    upto = value.value_summary(session, quarter=quarter, account_ids=[account.id],
                               through=quarter.end)
    assert data.value_all_time == upto.periods.total_total == 14500
    assert data.value_quarter == upto.periods.quarter_total == 12500


def test_pdf_quarter_chart_is_the_value_page_chart(session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)
    session.commit()
    data = summary_data(session, account, buyer, parse_quarter("2026-Q3"))
    charts = summary_charts(data)
    image, legend = charts["by_quarter"], charts["by_quarter_legend"]
    encoded = re.fullmatch(r'<img class="chart" alt="Value delivered per quarter" '
                           r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)">', image)
    assert encoded
    chart = base64.b64decode(encoded.group(1)).decode()
    web = value.driver_chart(data.by_quarter, title="Value delivered per quarter", width=600)
    # The same bars and axes; the PDF shows the legend as text below the chart (SVG
    # text costs WeasyPrint a layout per letter), in the web legend's colours.
    assert chart == value.driver_chart(data.by_quarter, title="Value delivered per quarter",
                                       width=600, legend=False)
    assert "2026-Q3" in chart and "Cost reduction" not in chart
    bars = re.findall(r'<rect x="[^"]+" y="[^"]+" width="48.0"[^>]*>', web)
    assert bars and all(bar in chart for bar in bars)
    assert ("Cost reduction", "#16a34a") in legend
    for name, colour in legend:
        assert re.search(f'fill="{colour}"/><text [^>]*>{name}</text>', web)


def test_long_lists_show_their_first_rows_and_say_how_many_more(
        app: Flask, session: Session, cast: object) -> None:
    from valuetracker.summaries.data import MAX_ENTRIES
    from valuetracker.summaries.generate import build_pdf

    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    for day in range(1, MAX_ENTRIES + 4):
        make_entry(session, account, title=f"Win {day:02d}", delivered_on=date(2026, 8, day))
    make_entry(session, account, title="Confirmed early win", delivered_on=date(2026, 7, 1),
               evidence_status="confirmed")
    session.commit()
    quarter = parse_quarter("2026-Q3")

    data = summary_data(session, account, buyer, quarter)
    titles = [e.title for e in data.entries]
    assert len(titles) == MAX_ENTRIES and data.entries_more == 4
    # The customer's own evidence first, then the newest.
    assert titles[0] == "Confirmed early win" and titles[1] == f"Win {MAX_ENTRIES + 3:02d}"
    # The figures still count every entry.
    assert data.value_quarter == Decimal(1000) * (MAX_ENTRIES + 4)
    with app.app_context():
        pdf = build_pdf(session, account, buyer, quarter)
    _reader, text = pdf_text(pdf)
    assert "and 4 more entries this quarter" in text
    assert "Win 01" not in text and "Win 03" not in text


def test_money_table_and_other_outcomes_follow_the_readers_priorities(
        app: Flask, session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)  # 120 h of productivity this quarter
    make_entry(session, account, title="Audits avoided", driver="risk_reduction",
               amount=Decimal("4"), unit="count", delivered_on=date(2026, 8, 15))
    make_entry(session, account, title="Tickets closed faster", driver="risk_reduction",
               amount=Decimal("6"), unit="hours", delivered_on=date(2026, 8, 15))
    make_entry(session, account, title="Old time saving", driver="cost_reduction",
               amount=Decimal("50"), unit="hours", delivered_on=date(2026, 2, 1))
    make_pulse(session, buyer, ranking=["risk_reduction", "revenue_growth", "cost_reduction"],
               taken_on=date(2026, 9, 10), intent="probably", recommend=8)
    session.commit()
    data = summary_data(session, account, buyer, parse_quarter("2026-Q3"))

    assert [f.driver for f in data.money_drivers][:2] == ["revenue_growth", "cost_reduction"]
    assert all(f.unit == "currency" for f in data.money_drivers)
    units, rows = data.other_outcomes
    # One row per driver that moved this quarter (not the cost reduction hours of Q1),
    # the reader's first priority first; one column per unit that moved.
    assert units == ["hours", "count"]
    assert [driver for driver, _ in rows] == ["risk_reduction", "productivity"]
    assert rows[0][1]["count"].quarter == 4 and rows[0][1]["hours"].quarter == 6
    assert set(rows[1][1]) == {"hours"} and rows[1][1]["hours"].quarter == 120

    with app.app_context():
        _reader, text = pdf_text(build_pdf(session, account, buyer, parse_quarter("2026-Q3")))
    assert "Beyond money, in 2026-Q3" in text
    assert "Value driver Time saved Count Risk reduction 6 h 4 Productivity 120 h —" in text


def test_open_commitments_past_their_due_date_say_overdue(app: Flask, session: Session,
                                                          cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)  # due 2026-11-15 and 2026-12-20
    make_commitment(session, account, title="Promised in January", due_on=date(2026, 1, 10),
                    status="in_progress")
    session.commit()
    data = summary_data(session, account, buyer, parse_quarter("2026-Q3"),
                        today=date(2026, 11, 20))
    assert [(c.title, c.overdue) for c in data.commitments] == [
        ("Promised in January", True), ("Self-service reporting", True),
        ("Contract renewal analytics", False)]

    with app.app_context():
        _reader, text = pdf_text(build_pdf(session, account, buyer, parse_quarter("2026-Q3")))
    assert "Promised in January Productivity — Overdue" in text
