"""Bulk actions in Chromium: row checkboxes tied to the bulk form, an action's button,
the confirmation page's button, and "all matching this filter"."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session

from valuetracker.models import Account, Stakeholder

from .conftest import browser_login
from .factories import make_stakeholder


def test_mark_key_then_reassign_all_matching(live_server: str, page: Any, cast: Any,
                                             session: Session) -> None:
    people = [make_stakeholder(session, cast.account1, f"Pat {n}") for n in range(2)]
    session.commit()
    browser_login(page, live_server, cast.am1.email)
    page.goto(f"{live_server}/stakeholders?key=no")
    for person in people:
        page.get_by_label(f"Select {person.name}").check()
    page.get_by_role("button", name="Mark key", exact=True).click()
    expect(page.locator("[data-bulk-change]")).to_contain_text(
        "marked as key stakeholders, on 2 people")
    page.get_by_role("button", name="Mark key: 2 people").click()
    expect(page.get_by_text("Mark key: 2 people changed")).to_be_visible()
    session.expire_all()
    assert all(session.get(Stakeholder, p.id).is_key for p in people)

    page.goto(f"{live_server}/login")
    page.context.clear_cookies()
    browser_login(page, live_server, cast.leader.email)
    page.goto(f"{live_server}/accounts?owner={cast.am2.id}")
    page.get_by_label("all 1 matching this filter").check()
    page.get_by_label("New owner").select_option(label=cast.am1.name)
    page.get_by_role("button", name="Reassign owner").click()
    expect(page.locator("[data-bulk-changing]")).to_contain_text("Globex")
    page.get_by_role("button", name="Reassign owner: 1 account").click()
    expect(page.get_by_text("Reassign owner: 1 account changed")).to_be_visible()
    session.expire_all()
    assert session.get(Account, cast.account2.id).owner_id == cast.am1.id
