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


def test_an_account_manager_hands_a_departed_colleagues_40_accounts_on(
        live_server: str, page: Any, cast: Any, session: Session) -> None:
    """As the issue puts it: am1, on the team of the 40 accounts of Dee, who has left
    (her user deactivated), filters the accounts list by Dee, ticks all 40 matching,
    chooses Erin and confirms; more than a page, so it runs as one job whose page says
    it finished; every account is Erin's."""
    from .factories import make_account, make_user

    dee = make_user(session, "account_manager", name="Dee Departing", active=False)
    erin = make_user(session, "account_manager", name="Erin Newowner")
    ids = [make_account(session, f"Dee {n:02}", owner=dee, members=(cast.am1,)).id
           for n in range(40)]
    session.commit()
    browser_login(page, live_server, cast.am1.email)
    page.goto(f"{live_server}/accounts")
    page.get_by_label("Owner", exact=True).select_option(label="Dee Departing")
    page.get_by_role("button", name="Filter").click()
    page.get_by_label("all 40 matching this filter").check()
    page.get_by_label("New owner").select_option(label=erin.name)
    page.get_by_role("button", name="Reassign owner").click()
    expect(page.locator("[data-bulk-change]")).to_contain_text(
        "owner becomes Erin Newowner, on 40 accounts")
    page.get_by_role("button", name="Reassign owner: 40 accounts").click()
    page.wait_for_url("**/jobs/*")
    expect(page.get_by_text("Finished: 40 of 40 done")).to_be_visible()
    session.expire_all()
    assert {session.get(Account, i).owner_id for i in ids} == {erin.id}
