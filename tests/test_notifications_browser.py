"""In a real browser: a customer disputes a value entry through their link; the account
manager sees the menu's unread count, opens the notification, changes preferences,
and stops the digest from the link of a digest mail (CSRF on, as served)."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, select

from .conftest import browser_login
from .factories import make_account, make_entry, make_stakeholder, make_user


def test_menu_notification_preferences_and_digest_unsubscribe(
        live_server: str, page: Any, app_config: dict) -> None:
    from valuetracker import create_app
    from valuetracker.db import make_engine
    from valuetracker.models import Notification, NotificationPreference, User
    from valuetracker.notifications.digest import send_digests
    from valuetracker.value.entries import apply_answer

    engine = make_engine(app_config["DATABASE_URL"])
    with Session(engine) as session:
        am = make_user(session, "account_manager", email="am@example.com", name="Alice")
        account = make_account(session, "Initech", owner=am)
        peter = make_stakeholder(session, account, "Peter Gibbons")
        entry = make_entry(session, account, "5000", title="Faster month-end")
        session.commit()
        slug, am_id = account.slug, am.id
        worker_app = create_app(dict(app_config, BASE_URL=live_server))
        with worker_app.app_context():
            apply_answer(session, entry, stakeholder_id=peter.id, response="disputed",
                         comment="Not our figure")
            session.commit()

    browser_login(page, live_server, "am@example.com")
    menu = page.locator("#notifications-menu")
    expect(menu.locator("#unread-count")).to_have_text("1")
    menu.click()
    item = page.get_by_role("button", name="Peter Gibbons disputed “Faster month-end” at "
                            "Initech: “Not our figure”")
    item.click()
    page.wait_for_url(f"{live_server}/accounts/{slug}/value/log")
    expect(page.locator("#unread-count")).to_have_count(0)

    page.goto(f"{live_server}/notifications/preferences")
    page.get_by_label("A deal closed: E-mail at once").check()
    page.get_by_label("A customer disputed a value entry: In the app").uncheck()
    page.get_by_label("Digest mail").select_option("weekly")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Preferences saved.")).to_be_visible()
    expect(page.get_by_label("A deal closed: E-mail at once")).to_be_checked()
    with Session(engine) as session:
        prefs = {(p.event, p.channel): p.enabled for p in session.exec(
            select(NotificationPreference))}
        assert prefs == {("deal.closed", "email"): True,
                         ("value.disputed", "in_app"): False}
        assert session.get(User, am_id).digest_frequency == "weekly"
        assert session.exec(select(Notification)).one().read_at is not None

        # The weekly digest (a renewal is coming), its link, and the button.
        account.renewal_date = date.today() + timedelta(days=10)
        session.add(account)
        session.commit()
        with worker_app.app_context():
            assert send_digests(session, "weekly").sent == 1
    (eml,) = Path(app_config["OUTBOX_DIR"]).glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    (link,) = [line.split(": ", 1)[1] for line in mail.get_content().splitlines()
               if line.startswith("Stop the digest: ")]
    assert link.startswith(f"{live_server}/notifications/unsubscribe/")
    stranger = page.context.browser.new_context().new_page()  # not signed in
    stranger.goto(link)
    expect(stranger.get_by_role("heading", name="Stop your weekly digest?")
           ).to_be_visible()
    stranger.get_by_role("button", name="Stop the digest").click()
    expect(stranger.get_by_role("heading", name="Your digest is off")).to_be_visible()
    stranger.context.close()
    with Session(engine) as session:
        assert session.get(User, am_id).digest_frequency == "off"
    engine.dispose()
