"""An erased person leaves the account's list, the relationship map, the reports-to
choices and the coverage counts; their anonymised pulse still counts in the figures."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from valuetracker.models import Stakeholder

from .conftest import Cast, browser_login
from .factories import make_pulse, make_stakeholder


def test_erase_as_a_user_does_then_the_person_is_gone_from_lists(
        live_server: str, cast: Cast, session: Session, page: Any) -> None:
    account = session.merge(cast.account1)
    boss = make_stakeholder(session, account, "Erin Erasable", buying_role="champion",
                            is_key=True)
    session.flush()
    report = make_stakeholder(session, account, "Rita Report", reports_to_id=boss.id)
    make_pulse(session, boss, recommend=0)  # a detractor: NPS -100 while only she answered
    session.commit()

    browser_login(page, live_server, "am1@example.com")
    page.goto(f"{live_server}/accounts/acme-corp/value")
    assert page.locator('[data-figure="nps"]').inner_text() == "-100"
    page.goto(f"{live_server}/stakeholders/{boss.id}/erase")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Erase personal data").click()
    page.wait_for_url("**/accounts/acme-corp")
    body = page.locator("main").inner_text()
    assert "Erin" not in body and "Erased stakeholder" not in body
    assert "Rita Report" in body and "Carol Buyer" in body
    assert page.locator(".org-node", has_text="Erased").count() == 0

    page.goto(f"{live_server}/stakeholders/{report.id}/edit")
    options = page.locator("select[name=reports_to_id] option").all_inner_texts()
    assert "Carol Buyer" in options and not any("Erased" in o for o in options)

    # The anonymised history still counts: her pulse stays in the account's NPS.
    page.goto(f"{live_server}/accounts/acme-corp/value")
    assert page.locator('[data-figure="nps"]').inner_text() == "-100"
    session.expire_all()
    erased = session.get(Stakeholder, boss.id)
    assert erased is not None and erased.erased_at is not None
