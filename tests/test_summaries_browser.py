"""In a real browser: generate an account's summaries, watch the progress bar, see coverage;
send from the coverage page (Generate all with sending, Send all) and from the account's
summaries page, and find the mails on a real SMTP server.

A real `valuetracker worker` process renders the PDFs from the SQLite queue (first test);
the others run each job in the request (the queue's immediate mode).
"""

from __future__ import annotations

import signal
from typing import Any

from .conftest import Inbox, browser_login, start_worker, stop_worker


def test_generate_watch_progress_see_coverage(queued_config: dict[str, Any], live_server: str,
                                              cast: Any, page: Any) -> None:
    from sqlmodel import Session

    from valuetracker.db import make_engine

    from .factories import make_stakeholder

    engine = make_engine(queued_config["DATABASE_URL"])
    with Session(engine) as session:
        make_stakeholder(session, session.merge(cast.account1), "Gina Key", is_key=True)
        session.commit()
    engine.dispose()

    worker = start_worker(queued_config, workers=2)
    try:
        browser_login(page, live_server, "am1@example.com")
        page.goto(f"{live_server}/accounts/acme-corp/summaries?quarter=2026-Q3")
        assert page.locator("[data-coverage-account]").inner_text() == "0%"
        page.get_by_label("Send each summary when generated").check()
        page.get_by_role("button", name="Generate", exact=True).click()
        page.wait_for_url("**/jobs/*")
        box = page.locator("[data-job-url]")
        box.and_(page.locator('[data-job-status="done"]')).wait_for(timeout=90000)
        bar = page.locator("progress")
        assert bar.evaluate("p => p.value") == bar.evaluate("p => p.max") == 2
        assert page.locator("[data-job-text]").inner_text() == "Finished: 2 of 2 done"

        page.get_by_role("link", name="Coverage 2026-Q3").click()
        page.wait_for_url("**/summaries/coverage?quarter=2026-Q3")
        assert page.locator("[data-coverage-total]").inner_text() == "100%"
        received = page.locator('[data-coverage-rows] tr[data-state="received"]')
        assert received.count() == 2
        assert "Gina Key" in received.all_inner_texts()[1]
    finally:
        stop_worker(worker, signal.SIGTERM)


def test_send_button_sends_the_quarter_shown(app_config: dict[str, Any], live_server: str,
                                             cast: Any, page: Any) -> None:
    """The account page's "Send 2026-Q3 summaries" button, pressed as rendered: every key
    stakeholder gets that quarter's summary by mail, once."""
    from email import message_from_bytes, policy
    from pathlib import Path

    # The job runs in the request (PDFs rendered before the redirect): a slow navigation.
    page.set_default_timeout(120000)
    browser_login(page, live_server, "am1@example.com")
    page.goto(f"{live_server}/accounts/acme-corp/summaries?quarter=2026-Q3")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send 2026-Q3 summaries").click()
    page.wait_for_url("**/jobs/*")
    page.locator('[data-job-status="done"]').wait_for(timeout=90000)
    assert page.locator("[data-job-text]").inner_text() == "Finished: 1 of 1 done"

    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in Path(app_config["OUTBOX_DIR"]).glob("*.eml")]
    assert len(mails) == 1 and cast.stakeholder1.email in mails[0]["To"]
    assert "2026-Q3" in mails[0]["Subject"]

    page.goto(f"{live_server}/accounts/acme-corp/summaries?quarter=2026-Q3")
    assert page.locator("[data-coverage-account]").inner_text() == "100%"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send 2026-Q3 summaries").click()
    page.wait_for_url("**/jobs/*")
    page.locator('[data-job-status="done"]').wait_for(timeout=90000)
    assert len(list(Path(app_config["OUTBOX_DIR"]).glob("*.eml"))) == 1  # never twice


def _recipients(inbox: Inbox) -> list[str]:
    return sorted(r for rcpts, _msg in inbox.messages for r in rcpts)


def _wait_done(page: Any) -> None:
    page.wait_for_url("**/jobs/*")
    page.locator('[data-job-status="done"]').wait_for(timeout=90000)


def test_send_from_the_coverage_page_and_the_account_page(
        smtp: Inbox, app_config: dict[str, Any], live_server: str, cast: Any,
        session: Any, page: Any) -> None:
    """Generate all (with sending), Send all and the account's Send button, clicked as
    rendered: each mails the quarter chosen to the people in the send, and only them."""
    from datetime import UTC, datetime

    from .factories import make_account, make_stakeholder

    make_stakeholder(session, cast.account1, "Grace Hopper", is_key=True,
                     opted_out_at=datetime(2026, 10, 2, tzinfo=UTC))
    trey = make_account(session, "Trey Research", status="churned")
    make_stakeholder(session, trey, "Tom Trey", is_key=True)
    make_stakeholder(session, trey, "Tina Trey", is_key=True)
    session.commit()
    in_send = [cast.stakeholder1.email, cast.stakeholder2.email]

    # Each job runs in the request (PDFs rendered before the redirect): slow navigations.
    page.set_default_timeout(120000)
    browser_login(page, live_server, "leader@example.com")
    page.goto(f"{live_server}/summaries/coverage?quarter=2026-Q3")
    assert "key stakeholders of active accounts" in page.locator(
        "[data-coverage-scope]").inner_text()
    not_in_send = page.locator("[data-not-in-send]").inner_text()
    assert "Trey Research (churned): 2 key stakeholders not in the send" in not_in_send
    skipped = page.locator('[data-coverage-rows] tr[data-state="skipped"]')
    assert skipped.count() == 1 and "Opted out on 2026-10-02" in skipped.inner_text()

    # 1. Generate all, with sending.
    page.get_by_label("Send each summary when generated").check()
    page.get_by_role("button", name="Generate all").click()
    _wait_done(page)
    assert "Trey Research (churned): 2 key stakeholders not in the send" in page.locator(
        "[data-job-not-in-send]").inner_text()
    assert _recipients(smtp) == sorted(in_send)
    page.get_by_role("link", name="Coverage 2026-Q3").click()
    assert page.locator("[data-coverage-total]").inner_text() == "100%"

    # 2. Send all, after a newcomer joined Globex: only the newcomer gets a mail.
    make_stakeholder(session, cast.account2, "Nadia New", is_key=True,
                     email="nadia@globex.example")
    session.commit()
    page.reload()
    assert page.locator("[data-coverage-total]").inner_text() == "67%"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send all 2026-Q3 summaries").click()
    _wait_done(page)
    assert _recipients(smtp) == sorted([*in_send, "nadia@globex.example"])

    # 3. The account's Send button, for the quarter picked in its one quarter box.
    make_stakeholder(session, cast.account1, "Olga Other", is_key=True,
                     email="olga@acme.example")
    session.commit()
    page.goto(f"{live_server}/accounts/acme-corp/summaries")
    page.get_by_label("Quarter").fill("2026-Q3")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Summaries 2026-Q3 · Acme Corp").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send 2026-Q3 summaries").click()
    _wait_done(page)
    assert _recipients(smtp) == sorted([*in_send, "nadia@globex.example",
                                        "olga@acme.example"])
    page.get_by_role("link", name="Summaries 2026-Q3 · Acme Corp").click()
    assert page.locator("[data-coverage-account]").inner_text() == "100%"
    assert all("2026-Q3" in msg["Subject"] for _r, msg in smtp.messages)
