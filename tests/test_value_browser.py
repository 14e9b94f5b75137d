"""In a real browser: log value, send a confirmation link, answer it as the customer."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session

from .conftest import browser_login
from .factories import make_account, make_stakeholder, make_user


def test_log_value_confirm_by_link_and_see_quote(live_server: str, page: Any,
                                                app_config: dict) -> None:
    from valuetracker.db import make_engine

    engine = make_engine(app_config["DATABASE_URL"])
    with Session(engine) as session:
        am = make_user(session, "account_manager", email="am@example.com", name="Alice")
        account = make_account(session, "Initech", owner=am)
        make_stakeholder(session, account, "Peter Gibbons", email="peter@initech.example")
        session.commit()
        slug = account.slug
    engine.dispose()

    browser_login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/accounts/{slug}/value")
    page.get_by_role("link", name="Log value").first.click()
    page.get_by_label("Title").fill("TPS reports automated")
    page.get_by_label("Value driver").select_option("productivity")
    page.get_by_label("Amount").fill("24000")
    page.get_by_label("Delivered on").fill("2026-11-02")
    page.get_by_label("Beneficiaries").select_option(label="Peter Gibbons")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Value entry added.")).to_be_visible()
    expect(page.get_by_text("TPS reports automated")).to_be_visible()

    page.goto(f"{live_server}/accounts/{slug}/value")
    page.get_by_role("link", name="Ask a stakeholder to confirm").click()
    page.get_by_label("Stakeholder").select_option(label="Peter Gibbons")
    page.get_by_role("button", name="Send link").click()
    url = page.locator("#link-url").input_value()
    outbox = Path(app_config["OUTBOX_DIR"])
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in outbox.glob("*.eml")]
    assert len(mails) == 1 and url in mails[0].get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"/l/confirm/", url)

    customer = page.context.browser.new_context().new_page()
    customer.goto(url)
    expect(customer.get_by_text("TPS reports automated")).to_be_visible()
    customer.get_by_label("Yes, that is right").check()
    customer.get_by_label("In your own words").fill("Saved us a day a week, honestly.")
    customer.get_by_role("button", name="Send my answers").click()
    expect(customer.get_by_text("Thank you").first).to_be_visible()
    customer.goto(url)
    expect(customer.get_by_text("already answered")).to_be_visible()
    customer.context.close()

    page.goto(f"{live_server}/accounts/{slug}/value")
    confirmations = page.locator("#confirmations")
    expect(confirmations.get_by_text("Saved us a day a week, honestly.")).to_be_visible()
    expect(confirmations.get_by_text("Peter Gibbons")).to_be_visible()
    assert page.locator("[data-figure=confirmed-share]").inner_text() == "100%"
    page.goto(f"{live_server}/accounts/{slug}/value/log")
    assert page.locator(".evidence-confirmed").first.inner_text() == "Confirmed"
