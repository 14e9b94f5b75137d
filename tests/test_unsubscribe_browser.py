"""In a real browser: the customer follows the unsubscribe link of a mail the team sent,
presses the button, and the team sees that they opted out."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, select

from .conftest import browser_login
from .factories import make_account, make_stakeholder, make_user


def test_customer_unsubscribes_from_the_link_in_a_pulse_mail(live_server: str, page: Any,
                                                             app_config: dict) -> None:
    from valuetracker.db import make_engine
    from valuetracker.models import AuditEvent, Stakeholder

    engine = make_engine(app_config["DATABASE_URL"])
    with Session(engine) as session:
        am = make_user(session, "account_manager", email="am@example.com", name="Alice",
                       title="Account Director")
        account = make_account(session, "Initech", owner=am)
        peter = make_stakeholder(session, account, "Peter Gibbons", email="peter@initech.example")
        session.commit()
        slug, peter_id = account.slug, peter.id

    browser_login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/accounts/{slug}/value/links/new?purpose=pulse")
    page.get_by_label("Stakeholder").select_option(label="Peter Gibbons")
    page.get_by_label("Loyalty pulse").check()
    page.get_by_role("button", name="Send link").click()
    expect(page.get_by_text("Link sent")).to_be_visible()

    (eml,) = Path(app_config["OUTBOX_DIR"]).glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["Reply-To"].addresses[0].addr_spec == "am@example.com"
    html = mail.get_body(preferencelist=("html",)).get_content()
    (link,) = re.findall(r'<a href="([^"]+)"[^>]*>Unsubscribe</a>', html)
    assert link.startswith(f"{live_server}/l/unsubscribe/")

    customer = page.context.browser.new_context().new_page()
    customer.goto(link)
    expect(customer.get_by_role("heading", name="Unsubscribe from valuetracker's e-mails?")
           ).to_be_visible()
    with Session(engine) as session:
        assert session.get(Stakeholder, peter_id).opted_out_at is None  # only looking
    customer.get_by_role("button", name="Unsubscribe").click()
    expect(customer.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    customer.goto(link)  # the link still answers, long after: friendly, no button
    expect(customer.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    expect(customer.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    customer.context.close()

    with Session(engine) as session:
        person = session.get(Stakeholder, peter_id)
        assert person is not None and person.opted_out_at is not None
        events = session.exec(select(AuditEvent).where(
            AuditEvent.action == "opt_out", AuditEvent.entity_id == str(peter_id))).all()
        assert len(events) == 1
        day = f"{person.opted_out_at:%Y-%m-%d}"
    engine.dispose()

    page.goto(f"{live_server}/stakeholders/{peter_id}")
    expect(page.locator("#opted-out")).to_have_text(
        f"on {day} via the unsubscribe link in our e-mail")
    page.goto(f"{live_server}/accounts/{slug}/value/links/new?purpose=pulse")
    expect(page.get_by_text("Peter Gibbons — opted out")).to_be_visible()
