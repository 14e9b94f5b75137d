"""In headless Chromium: create an account, add two stakeholders (one reporting to the
other), see the relationship map and a coverage warning. CSRF is on (live server)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import browser_login


def test_create_account_add_stakeholders_see_map(live_server: str, page: Any,
                                                 cast: Any) -> None:
    browser_login(page, live_server, cast.am1.email)  # lands on My work
    page.locator("#nav").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Name").fill("Wayne Enterprises")
    page.get_by_label("Segment").fill("Enterprise")
    page.get_by_label("Tier").select_option("strategic")
    page.get_by_label("Annual revenue").fill("750000")
    page.get_by_label("Annual cost to serve").fill("150000")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Wayne Enterprises")).to_be_visible()
    expect(page.get_by_text("$600,000")).to_be_visible()  # margin

    page.get_by_role("link", name="Add stakeholder").first.click()
    page.get_by_label("Name").fill("Lucius Fox")
    page.get_by_label("Title").fill("CEO")
    page.get_by_label("Buying role").select_option("decision_maker")
    page.get_by_label("Influence").select_option("5")
    page.get_by_label("Key stakeholder").check()
    page.get_by_role("button", name="Add stakeholder").click()
    expect(page.get_by_text("Lucius Fox added to Wayne Enterprises.")).to_be_visible()

    page.get_by_role("link", name="Add stakeholder").first.click()
    page.get_by_label("Name").fill("Tiffany Sun")
    page.get_by_label("Buying role").select_option("champion")
    page.get_by_label("Sentiment").select_option("advocate")
    page.get_by_label("Reports to").select_option(label="Lucius Fox")
    page.get_by_role("button", name="Add stakeholder").click()

    tree = page.locator(".org-tree")
    expect(tree.locator(".org-node")).to_have_count(2)
    # Tiffany sits under Lucius in the chart
    expect(tree.locator("li li .org-node", has_text="Tiffany Sun")).to_be_visible()
    expect(tree.locator(".org-node.is-key", has_text="Lucius Fox")).to_contain_text("●●●●●")
    warning = page.locator('[data-warning="no_economic_buyer"]')
    expect(warning).to_contain_text("No economic buyer recorded")
