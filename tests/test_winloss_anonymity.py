"""An anonymized interviewee's name and title appear nowhere but the interview page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import render_template

from valuetracker.winloss import account_overview, interviewee_display, list_quotes

from .factories import (
    make_deal,
    make_factor,
    make_interview,
    make_quote,
    make_rating,
    make_stakeholder,
)

NAME, TITLE = "Zelda Secretname", "Chief Hidden Officer"


@pytest.fixture(params=["anonymized", "blind"])
def hidden(request: Any, session: Any, cast: Any) -> dict[str, Any]:
    person = make_stakeholder(session, cast.account1, NAME, title=TITLE,
                              buying_role="economic_buyer")
    price = make_factor(session, "Price")
    deal = make_deal(session, cast.account1, "lost", date(2026, 5, 1), name="Acme loss",
                     owner_id=cast.am1.id)
    interview = make_interview(session, deal, person, anonymity=request.param)
    make_rating(session, interview, price, 2, "loss_driver")
    make_quote(session, interview, "Too pricey for us", price, "pricing")
    outside = make_interview(session, make_deal(session, cast.account1, "won", date(2026, 5, 2)),
                             None, contact_name=NAME, contact_title=TITLE,
                             anonymity=request.param)
    make_quote(session, outside, "Great team", price)
    session.commit()
    return {"interview": interview, "person": person, "deal": deal}


def test_display_rule(hidden: Any) -> None:
    assert interviewee_display(hidden["interview"], hidden["person"]) == \
        "Anonymized interviewee (economic buyer)"
    hidden["interview"].anonymity = "named"
    assert interviewee_display(hidden["interview"], hidden["person"]) == f"{NAME}, {TITLE}"


def test_name_absent_from_pages(login_as: Any, cast: Any, hidden: Any) -> None:
    client = login_as(cast.analyst)
    deal_id = hidden["deal"].id
    for url in ("/deals", "/interviews", "/analytics", "/analytics?by=owner", "/quotes",
                "/quotes?tag=pricing", "/quotes?format=csv", "/quotes?sort=account&format=csv",
                "/interviews?format=csv", f"/deals/{deal_id}"):
        page = client.get(url).get_data(as_text=True)
        assert NAME not in page and TITLE not in page, url
        assert "Zelda" not in page, url
    queue = client.get("/interviews").get_data(as_text=True)
    assert "Anonymized interviewee (economic buyer)" in queue
    assert "Anonymized interviewee (buyer)" in queue
    # The interview page itself is the one place the program team sees who it was.
    page = client.get(f"/interviews/{hidden['interview'].id}").get_data(as_text=True)
    assert NAME in page


def test_name_absent_from_account_panel_and_quotes(app: Any, session: Any, cast: Any,
                                                   hidden: Any) -> None:
    with app.test_request_context():
        overview = account_overview(session, cast.account1)
        html = render_template("winloss/_account_panel.html", winloss_overview=overview)
    assert "Acme loss" in html and "Anonymized interviewee" in html
    assert NAME not in html and TITLE not in html
    page = list_quotes(session)
    assert all(NAME not in item["interviewee"] for item in page.items)


def test_name_absent_from_cli_reports(runner: Any, hidden: Any) -> None:
    for fmt in ("table", "csv", "json"):
        for by in ("segment", "owner", "competitor", "product", "quarter"):
            result = runner.invoke(args=["winloss", "report", "--by", by, "--format", fmt])
            assert result.exit_code == 0
            assert NAME not in result.output and TITLE not in result.output
