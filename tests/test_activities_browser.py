"""In headless Chromium (CSRF on): from a stakeholder's page, log a meeting with two
people through the "Log activity" form, see it on the person's timeline with their
last contacted moved, filter the account's timeline by type."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from .conftest import browser_login
from .factories import make_stakeholder


def test_log_a_meeting_and_see_it_on_the_timelines(live_server: str, page: Any, cast: Any,
                                                   session: Any) -> None:
    make_stakeholder(session, cast.account1, "Ed Engineer", title="CTO")
    session.commit()
    browser_login(page, live_server, cast.am1.email)
    page.goto(f"{live_server}/stakeholders/{cast.stakeholder1.id}")
    page.locator(".activity-panel").get_by_role("link", name="Log activity").click()

    # Refused first: a meeting needs a summary; the field says so and keeps the input.
    page.get_by_label("Type").select_option("meeting")
    page.get_by_label("With whom").select_option(label=["Carol Buyer", "Ed Engineer · CTO"])
    page.get_by_role("button", name="Log activity").click()
    expect(page.locator(".invalid-feedback", has_text="Say what it was about.")).to_be_visible()
    expect(page.get_by_label("Type")).to_have_value("meeting")

    page.get_by_label("Summary").fill("Quarterly business review")
    page.get_by_label("Outcome").fill("They want the savings report monthly")
    page.get_by_role("button", name="Log activity").click()

    expect(page.get_by_text("Meeting logged.")).to_be_visible()
    expect(page.get_by_role("heading", name="Carol Buyer — timeline")).to_be_visible()
    expect(page.locator("[data-last-contacted]")).to_have_text(date.today().isoformat())
    line = page.locator('.timeline-event[data-kind="meeting"]')
    expect(line).to_contain_text("Quarterly business review")
    expect(line).to_contain_text("with Carol Buyer, Ed Engineer")
    expect(line).to_contain_text("by Alice Manager")

    page.get_by_role("link", name="Acme Corp's whole timeline").click()
    page.get_by_label("Type").select_option("note")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Nothing on the timeline of this type yet.")).to_be_visible()
    page.get_by_label("Type").select_option("logged")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".timeline-event")).to_have_count(1)
