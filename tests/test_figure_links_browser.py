"""In headless Chromium on the demo installation: a leader opens the win/loss analytics
from the navigation, clicks the win rate against a competitor, and lands on the deals
list of exactly those deals: the same count, and the same win rate counted from the
list's rows."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from valuetracker.demo import seed_demo
from valuetracker.demo.core import DEMO_PASSWORD

from .conftest import browser_login


@pytest.fixture
def demo(live_server: str, session: Session) -> str:
    seed_demo(session)
    session.commit()
    return live_server


def test_win_rate_against_a_competitor_opens_those_deals(demo: str, page: Any) -> None:
    browser_login(page, demo, "leader@demo.example", DEMO_PASSWORD)
    page.locator("#nav").get_by_role("link", name="Win/loss").click()
    page.wait_for_url("**/analytics")
    row = page.locator("tr[data-competitor]").first
    competitor = row.get_attribute("data-competitor")
    rate_link = row.locator("td").nth(4).locator("a[data-figure]")
    rate_text = rate_link.inner_text()
    closed = int(rate_link.get_attribute("data-figure-count") or "0")
    assert closed > 0
    rate_link.click()

    page.wait_for_url("**/deals?**")
    expect(page.locator(".list-note")).to_have_count(0)
    expect(page.locator("#competitor option:checked")).to_have_text(competitor or "")
    expect(page.locator("#outcome option:checked")).to_have_text("Any closed outcome")
    # The chosen outcome is readable whole in its select (it was cut off at 1280 px).
    assert page.evaluate("""() => { const s = document.querySelector('#outcome');
        const cs = getComputedStyle(s); const c = document.createElement('canvas').getContext('2d');
        c.font = cs.font; return c.measureText(s.options[s.selectedIndex].text).width
          + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) <= s.clientWidth; }""")
    expect(page.get_by_text(f"of {closed} deals")).to_be_visible()
    rows = page.locator("#deal-list tbody tr")
    if closed <= 50:  # one page: the rate counted from the rows themselves
        expect(rows).to_have_count(closed)
        won = rows.locator(".outcome-won").count()
        assert f"{round(100 * won / closed)}%" == rate_text
