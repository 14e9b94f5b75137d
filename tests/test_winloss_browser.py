"""In a real browser: record an interview, then find it in the analytics and quote library."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from .conftest import browser_login
from .factories import make_deal, make_factor, make_guide, make_interview, make_rating


def test_record_interview_then_see_it_in_analytics_and_quotes(
    live_server: str, page: Any, session: Any, cast: Any
) -> None:
    price = make_factor(session, "Price", "Commercial")
    make_guide(session, "won", factor=price)
    lost = make_deal(session, cast.account2, "lost", date(2026, 6, 1))
    make_rating(session, make_interview(session, lost), price, 2, "loss_driver")
    won = make_deal(session, cast.account1, "won", date(2026, 6, 2), name="Acme big win")
    interview = make_interview(session, won, status="requested")
    session.commit()

    browser_login(page, live_server, "analyst@example.com")
    page.goto(f"{live_server}/interviews")
    page.get_by_role("row", name="Acme big win").get_by_role("link", name="Record").click()
    page.get_by_label("Interviewee").select_option(label="Carol Buyer")
    page.get_by_label("Status").select_option("completed")
    page.get_by_label("Channel").select_option("video")
    page.get_by_label("Primary reason").select_option(label="Commercial · Price")
    page.get_by_label("What made you decide?").fill("Clear pricing")
    page.get_by_label("Price rating").select_option("5")
    page.get_by_label("Price importance").select_option("4")
    page.get_by_label("Price effect").select_option("win_driver")
    page.get_by_label("Quote 1", exact=True).fill("Pricing was refreshingly simple")
    page.get_by_label("Quote 1 tags").fill("pricing; simplicity")
    page.get_by_label("Quote 1 factor").select_option(label="Commercial · Price")
    page.get_by_role("button", name="Save interview").click()
    page.wait_for_url(f"{live_server}/interviews/{interview.id}")
    assert "Interview saved." in page.content()

    page.goto(f"{live_server}/analytics")
    impact_row = page.get_by_role("row", name="Price")
    assert "+3.00" in impact_row.inner_text()
    if os.environ.get("WINLOSS_SCREENSHOTS"):
        page.screenshot(path=os.environ["WINLOSS_SCREENSHOTS"], full_page=True)
    page.goto(f"{live_server}/quotes")
    page.get_by_label("Tag").fill("simplicity")
    page.get_by_role("button", name="Filter").click()
    assert "Pricing was refreshingly simple" in page.content()
    assert "Carol Buyer" in page.content()  # named interview: the name may be shown
