"""In a real browser, with CSRF on: an admin adds a webhook endpoint, copies its secret,
disables and enables it, rotates the secret, replays a delivery and deletes it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, select

from .conftest import browser_login
from .factories import make_user


def test_an_admin_manages_an_endpoint_in_the_browser(live_server: str, page: Any,
                                                     app_config: dict) -> None:
    from valuetracker.db import make_engine
    from valuetracker.models import WebhookDelivery, WebhookEndpoint

    engine = make_engine(app_config["DATABASE_URL"])
    with Session(engine) as session:
        make_user(session, "admin", email="ada@example.com", name="Ada Admin")
        session.commit()
    page.on("dialog", lambda dialog: dialog.accept())  # the buttons' confirmations

    browser_login(page, live_server, "ada@example.com")
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("navigation", name="Admin pages").get_by_role("link",
                                                                   name="Webhooks").click()
    page.get_by_role("link", name="New endpoint").click()
    page.get_by_label("URL").fill("https://hooks.example.com/vt")
    page.get_by_label("value.disputed").check()
    page.get_by_label("deal.closed").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
    secret = page.locator("#webhook-secret").inner_text()
    with Session(engine) as session:
        endpoint = session.exec(select(WebhookEndpoint)).one()
        assert (endpoint.secret, endpoint.events) == (secret, ["value.disputed",
                                                               "deal.closed"])
        session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_b",
                                    event="deal.closed", body="{}", status="dead",
                                    attempt=9, response_code=500))
        session.commit()
        endpoint_id = endpoint.id

    page.get_by_role("link", name="Done").click()
    expect(page.locator("#endpoint-status")).to_contain_text("enabled")
    assert secret not in page.content()
    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#endpoint-status")).to_contain_text("disabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#endpoint-status")).to_contain_text("enabled")

    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name="New secret")).to_be_visible()
    rotated = page.locator("#webhook-secret").inner_text()
    assert rotated != secret and rotated.startswith("whsec_")
    page.get_by_role("link", name="Done").click()

    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("queued again")).to_be_visible()
    with Session(engine) as session:
        assert len(session.exec(select(WebhookDelivery)).all()) == 2

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("task.created").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Webhook endpoint saved.")).to_be_visible()

    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Webhook endpoint https://hooks.example.com/vt deleted."))\
        .to_be_visible()
    with Session(engine) as session:
        assert session.get(WebhookEndpoint, endpoint_id) is None
    engine.dispose()
