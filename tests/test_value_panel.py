"""The value panel on the account page (value.account_overview + the partial)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import render_template

from valuetracker import value

from .factories import make_commitment, make_entry, make_pulse


def test_panel_shows_the_accounts_figures(app: Any, session: Any, cast: Any) -> None:
    make_entry(session, cast.account1, "1234", evidence_status="confirmed",
               delivered_on=date.today())
    make_entry(session, cast.account1, "766", delivered_on=date.today())
    make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=2))
    make_pulse(session, cast.stakeholder1, recommend=10)
    session.commit()
    overview = value.account_overview(session, cast.account1)
    assert overview["overdue_count"] == 1
    assert overview["confirmed_share"].share == value.confirmed_share(
        session, account_ids=[cast.account1.id]).share
    with app.test_request_context():
        html = render_template("value/_account_panel.html", value_overview=overview,
                               account=cast.account1)
    assert "$2,000" in html and "62%" in html and "1 overdue" in html and "+100" in html
    assert f"/accounts/{cast.account1.slug}/value" in html


def _panel_figures(panel: dict[str, Any]) -> tuple[Any, ...]:
    periods, share, on_time, people = (panel["periods"], panel["confirmed_share"],
                                       panel["on_time"], panel["loyalty"])
    return (panel["quarter"].label, *(round(x, 2) for x in (
        periods.quarter_total, periods.year_to_date_total, periods.total_total,
        share.confirmed, share.total)), share.share and round(share.share, 6),
        on_time.on_time, on_time.due, panel["overdue_count"], people.respondents,
        people.promoters, people.detractors, people.satisfied_not_loyal,
        panel["last_delivered_on"])


def test_the_account_pages_panel_equals_the_value_pages_figures(session: Any,
                                                                 cast: Any) -> None:
    """The account page's panel (one statement over the value rollups) shows what the
    value page computes from the entries themselves, after writes of every kind: entries
    this quarter, earlier this fiscal year, years ago and in the future, confirmed,
    disputed, described, in hours; an entry moved to another quarter and one deleted;
    commitments on time, late, overdue and dropped; pulses superseded by later ones."""
    today = date.today()
    account, other = cast.account1, cast.account2

    def check() -> None:
        session.flush()
        for who in (account, other):
            assert _panel_figures(value.account_panel(session, who, today=today)) == \
                _panel_figures(value.account_overview(session, who, today=today))

    check()  # nothing yet: zeros, no share, no last entry
    make_entry(session, account, "1234.56", evidence_status="confirmed", delivered_on=today)
    make_entry(session, account, "100.10", delivered_on=today - timedelta(days=100),
               driver="revenue_growth")
    old = make_entry(session, account, "999.99", delivered_on=today - timedelta(days=800),
                     evidence_status="disputed")
    make_entry(session, account, "50", delivered_on=today + timedelta(days=40))
    make_entry(session, account, "70", unit="hours", delivered_on=today)
    make_entry(session, account, "3000", evidence_status="described", delivered_on=today)
    make_entry(session, other, "42", delivered_on=today)
    check()
    moved = make_entry(session, account, "400", delivered_on=today, evidence_status="confirmed")
    moved.delivered_on = today - timedelta(days=200)
    session.delete(old)
    make_commitment(session, account, due_on=today - timedelta(days=2))
    make_commitment(session, account, due_on=today - timedelta(days=9), status="delivered",
                    delivered_on=today - timedelta(days=10))
    make_commitment(session, account, due_on=today - timedelta(days=9), status="delivered",
                    delivered_on=today - timedelta(days=1))
    make_commitment(session, account, due_on=today - timedelta(days=3), status="dropped")
    make_pulse(session, cast.stakeholder1, recommend=3, taken_on=today - timedelta(days=30))
    make_pulse(session, cast.stakeholder1, recommend=10, satisfaction=5, intent="probably",
               taken_on=today)
    check()
    panel = value.account_panel(session, account, today=today)
    assert panel["overdue_count"] == 1 and panel["on_time"].due == 3
    assert panel["loyalty"].promoters == 1 and panel["loyalty"].satisfied_not_loyal == 1
