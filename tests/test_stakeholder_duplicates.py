"""A second person with the same e-mail address at the same account is refused, with a
link to the one who has it; another account may have the same address."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, func, select

from valuetracker.models import Stakeholder
from valuetracker.stakeholders import DuplicateEmailError, create_stakeholder

from .conftest import Cast, browser_login
from .factories import make_stakeholder


def _count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Stakeholder)).one()


def test_the_form_refuses_a_second_person_with_the_address_and_links_to_them(
        live_server: str, cast: Cast, session: Session, page: Any) -> None:
    carol = session.merge(cast.stakeholder1)
    other = make_stakeholder(session, session.merge(cast.account1), "Oscar Other")
    session.commit()
    before = _count(session)

    browser_login(page, live_server, "am1@example.com")
    page.goto(f"{live_server}/accounts/acme-corp/stakeholders/new")
    page.get_by_label("Name").fill("Carol Again")
    page.get_by_label("Email").fill(f"  {carol.email.upper()} ")
    page.get_by_role("button", name="Add stakeholder").click()
    assert page.get_by_text("Carol Buyer at this account already has this e-mail address.")\
        .is_visible()
    assert _count(session) == before

    page.goto(f"{live_server}/stakeholders/{other.id}/edit")
    page.get_by_label("Email").fill(carol.email)
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("[data-duplicate] a").click()
    page.wait_for_url(f"**/stakeholders/{carol.id}")
    session.expire_all()
    assert session.get(Stakeholder, other.id).email != carol.email


def test_the_rule_holds_for_every_entry_point_and_only_within_an_account(
        session: Session, cast: Cast) -> None:
    carol = session.merge(cast.stakeholder1)
    with pytest.raises(DuplicateEmailError) as refused:
        create_stakeholder(session, session.merge(cast.account1),
                           data={"name": "Carol Twin", "email": carol.email.title()})
    assert refused.value.person.id == carol.id
    session.rollback()
    # The same address at another account is another person's business.
    twin = create_stakeholder(session, session.merge(cast.account2),
                              data={"name": "Carol Elsewhere", "email": carol.email})
    session.commit()
    assert twin.id is not None


def test_an_external_id_taken_at_the_account_is_a_field_error(
        live_server: str, cast: Cast, session: Session, page: Any) -> None:
    account = session.merge(cast.account1)
    make_stakeholder(session, account, "Ida Crm", external_id="CRM-7")
    other = make_stakeholder(session, account, "Otto Other")
    make_stakeholder(session, session.merge(cast.account2), "Elsewhere Eve", external_id="CRM-8")
    session.commit()
    browser_login(page, live_server, "am1@example.com")
    page.goto(f"{live_server}/stakeholders/{other.id}/edit")
    page.get_by_label("External id (CRM)").fill("CRM-7")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_text("Someone else at this account has this external id.").is_visible()
    page.get_by_label("External id (CRM)").fill("CRM-8")  # another account's: no concern here
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/stakeholders/{other.id}")
    session.expire_all()
    assert session.get(Stakeholder, other.id).external_id == "CRM-8"


def test_an_import_refuses_an_address_that_belongs_to_someone_else(
        runner: Any, cast: Cast, session: Session, tmp_path: Any) -> None:
    account = session.merge(cast.account1)
    ann = make_stakeholder(session, account, "Ann Crm", external_id="CRM-1",
                           email="ann@customer.example")
    bob = make_stakeholder(session, account, "Bob Mail", email="bob@customer.example")
    session.commit()
    before = _count(session)
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("account,name,external_id,email\n"
                        "Acme Corp,Ann Crm,CRM-1,BOB@customer.example\n", encoding="utf-8")
    result = runner.invoke(args=["import", "stakeholders", str(csv_file)])
    assert result.exit_code != 0
    assert f"already belongs to Bob Mail at this account (stakeholder #{bob.id})" \
        in result.output
    assert _count(session) == before
    session.expire_all()
    assert session.get(Stakeholder, ann.id).email == "ann@customer.example"
