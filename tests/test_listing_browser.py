"""In headless Chromium (CSRF on): a leader filters and sorts the deals list, reads the
note for a sort that does not exist, downloads the CSV of the same filters, saves the
list as a view, finds it in the menu, opens it, renames and deletes it."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .conftest import browser_login
from .factories import make_deal


def test_filter_sort_download_and_save_a_view(live_server: str, page: Any, cast: Any,
                                              session: Any) -> None:
    make_deal(session, cast.account1, "won", date(2026, 3, 1), name="Small win",
              amount=Decimal("5000"), product="Core")
    make_deal(session, cast.account1, "won", date(2026, 4, 1), name="Big win",
              amount=Decimal("90000"), product="Core")
    make_deal(session, cast.account2, "lost", date(2026, 4, 1), name="A loss",
              amount=Decimal("70000"), product="Core")
    session.commit()
    browser_login(page, live_server, cast.leader.email)

    page.goto(f"{live_server}/deals?sort=margin")
    expect(page.locator(".list-note")).to_have_text(
        "Sorting by “margin” isn't available; sorted by close date, descending.")
    page.get_by_label("Outcome").select_option("won")
    page.get_by_label("Amount from").fill("1000")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".list-note")).to_have_count(0)
    rows = page.locator("#deal-list tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#deal-list thead").get_by_role("link", name="Amount").click()
    expect(rows.first).to_contain_text("Small win")
    page.locator("#deal-list thead").get_by_role("link", name="Amount").click()
    expect(rows.first).to_contain_text("Big win")
    assert "sort=-amount" in page.url and "outcome=won" in page.url

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert [r["Deal"] for r in csv.DictReader(io.StringIO(text))] == ["Big win", "Small win"]

    page.get_by_label("Name of the view").fill("Wins by size")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("View “Wins by size” saved")).to_be_visible()

    page.goto(f"{live_server}/accounts")
    page.get_by_role("button", name="Saved views").click()
    page.get_by_role("link", name="Wins by size").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Big win")
    assert "outcome=won" in page.url and "sort=-amount" in page.url

    page.get_by_role("button", name="Saved views").click()
    page.get_by_role("link", name="Manage saved views").click()
    page.get_by_label("New name of Wins by size").fill("Biggest wins")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("View renamed to “Biggest wins”.")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("View “Biggest wins” deleted.")).to_be_visible()
    expect(page.locator("#saved-views")).to_contain_text("No saved views yet.")


def test_list_tools_keep_their_buttons_on_one_line(live_server: str, page: Any,
                                                   cast: Any) -> None:
    """"Save view" is one line, as tall as "Download CSV" beside it, at 1280 px and on a
    phone (it used to wrap to two lines and stretch its name field with it)."""
    browser_login(page, live_server, cast.leader.email)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/stakeholders")
        button = page.get_by_role("button", name="Save view").bounding_box()
        csv_link = page.get_by_role("link", name="Download CSV").bounding_box()
        assert button and csv_link and button["height"] <= csv_link["height"] + 1, (width, button)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
