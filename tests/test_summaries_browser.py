"""In a real browser: generate an account's summaries, watch the progress bar, see coverage.

A real `valuetracker worker` process renders the PDFs from the SQLite queue.
"""

from __future__ import annotations

import signal
from typing import Any

from .conftest import browser_login, start_worker, stop_worker


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

        page.get_by_role("link", name="Coverage").first.click()
        page.wait_for_url("**/summaries/coverage*")
        page.goto(f"{live_server}/summaries/coverage?quarter=2026-Q3")
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
