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
