"""Stakeholders: add, edit with optimistic locking, flags, reports-to rules, audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from valuetracker.models import AuditEvent, Stakeholder

from .factories import make_account, make_stakeholder


def _form(**kw: Any) -> dict[str, Any]:
    data = {"name": "Erin Evaluator", "buying_role": "technical_evaluator", "influence": "3",
            "sentiment": "neutral", "reports_to_id": "", "preferred_channel": ""}
    data.update(kw)
    return data


def test_add_stakeholder_with_all_fields(login_as: Any, cast: Any, session: Any) -> None:
    response = login_as(cast.am1).post("/accounts/acme-corp/stakeholders/new", data=_form(
        name=" Erin Evaluator ", title="CTO", email="Erin@Acme.example", phone="+1 555",
        buying_role="decision_maker", influence="5", sentiment="advocate",
        reports_to_id=str(cast.stakeholder1.id), is_key="y", preferred_channel="video",
        preferences="Prefers morning calls",
        notes="Ask about their scuba diving", external_id="C-9", opted_out="y"))
    assert response.status_code == 302
    person = session.exec(select(Stakeholder).where(Stakeholder.name == "Erin Evaluator")).one()
    assert person.email == "erin@acme.example" and person.influence == 5
    assert person.reports_to_id == cast.stakeholder1.id and person.is_key
    assert person.opted_out_at is not None and person.left_company_at is None
    assert person.last_contacted_on is None  # derives from the timeline, never typed in
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "stakeholder",
                                                 AuditEvent.action == "create")).one()
    page = login_as(cast.am1).get(f"/stakeholders/{person.id}").get_data(as_text=True)
    assert "Ask about their scuba diving" in page and "Prefers morning calls" in page


def test_invalid_input_rerenders(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.am1)
    for bad in ({"name": ""}, {"email": "not-an-email"}, {"influence": "9"},
                {"buying_role": "king"}, {"reports_to_id": "abc"}):
        response = client.post("/accounts/acme-corp/stakeholders/new", data=_form(**bad))
        assert response.status_code == 200, bad
        assert "is-invalid" in response.get_data(as_text=True), bad
    assert session.exec(select(Stakeholder).where(Stakeholder.name == "Erin Evaluator")
                        ).first() is None


def test_reports_to_must_be_same_account(login_as: Any, cast: Any) -> None:
    response = login_as(cast.am1).post("/accounts/acme-corp/stakeholders/new",
                                       data=_form(reports_to_id=str(cast.stakeholder2.id)))
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_reports_to_cannot_make_a_loop(login_as: Any, cast: Any, session: Any) -> None:
    boss = cast.stakeholder1
    middle = make_stakeholder(session, cast.account1, "Mid Manager", reports_to_id=boss.id)
    low = make_stakeholder(session, cast.account1, "Low Staff", reports_to_id=middle.id)
    session.commit()
    client = login_as(cast.am1)
    # the boss may not report to someone below them
    response = client.post(f"/stakeholders/{boss.id}/edit", data=_form(
        name=boss.name, reports_to_id=str(low.id), version="1"))
    assert response.status_code == 200
    assert "reporting loop" in response.get_data(as_text=True)
    # and nobody reports to themselves (not even offered as a choice)
    response = client.post(f"/stakeholders/{middle.id}/edit", data=_form(
        name=middle.name, reports_to_id=str(middle.id), version="1"))
    assert response.status_code == 200
    session.refresh(boss)
    session.refresh(middle)
    assert boss.reports_to_id is None and middle.reports_to_id == boss.id


def test_edit_keeps_notes_out_of_the_audit_trail(login_as: Any, cast: Any,
                                                 session: Any) -> None:
    person = cast.stakeholder1
    response = login_as(cast.am1).post(f"/stakeholders/{person.id}/edit", data=_form(
        name="Carol Buyer", buying_role="economic_buyer", sentiment="supporter",
        notes="Her daughter is getting married in June", version="1", is_key="y"))
    assert response.status_code == 302
    session.refresh(person)
    assert person.notes == "Her daughter is getting married in June"
    assert person.sentiment == "supporter" and person.version == 2
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.details["sentiment"] == ["neutral", "supporter"]
    assert "married" not in str(event.details)


def test_concurrent_stakeholder_edit(login_as: Any, cast: Any, session: Any) -> None:
    person = cast.stakeholder1
    first, second = login_as(cast.am1), login_as(cast.admin)
    for client in (first, second):
        assert client.get(f"/stakeholders/{person.id}/edit").status_code == 200
    base = _form(name="Carol Buyer", buying_role="economic_buyer", is_key="y", version="1")
    assert first.post(f"/stakeholders/{person.id}/edit",
                      data=dict(base, title="CFO")).status_code == 302
    response = second.post(f"/stakeholders/{person.id}/edit", data=dict(base, title="COO"))
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Alice Manager changed this stakeholder since you opened it" in body
    assert 'value="COO"' in body
    session.refresh(person)
    assert person.title == "CFO"


def test_flag_buttons_mark_and_unmark(login_as: Any, cast: Any, session: Any) -> None:
    person = cast.stakeholder1
    client = login_as(cast.am1)
    for flag, column in (("key", "is_key"), ("opted_out", "opted_out_at"),
                         ("left", "left_company_at")):
        assert client.post(f"/stakeholders/{person.id}/flags/{flag}",
                           data={"on": "1"}).status_code == 302
        session.refresh(person)
        assert getattr(person, column), flag
        assert client.post(f"/stakeholders/{person.id}/flags/{flag}",
                           data={"on": "0"}).status_code == 302
        session.refresh(person)
        assert not getattr(person, column), flag
    assert client.post(f"/stakeholders/{person.id}/flags/key",
                       data={"on": "maybe"}).status_code == 400
    assert client.post(f"/stakeholders/{person.id}/flags/vip",
                       data={"on": "1"}).status_code == 404
    flags = session.exec(select(AuditEvent).where(AuditEvent.action == "flag")).all()
    # key started as True, so its first "on=1" changed nothing and was not audited
    assert len(flags) == 5


def test_flag_bumps_version_so_an_open_form_cannot_undo_it(login_as: Any, cast: Any,
                                                           session: Any) -> None:
    person = cast.stakeholder1
    client = login_as(cast.am1)
    client.post(f"/stakeholders/{person.id}/flags/left", data={"on": "1"})
    response = client.post(f"/stakeholders/{person.id}/edit", data=_form(
        name="Carol Buyer", version="1"))
    assert response.status_code == 409
    session.refresh(person)
    assert person.left_company_at is not None


def test_left_flag_in_form_keeps_original_date(login_as: Any, cast: Any, session: Any) -> None:
    person = make_stakeholder(session, cast.account1, "Gone Person", is_key=True)
    session.commit()
    client = login_as(cast.am1)
    client.post(f"/stakeholders/{person.id}/edit", data=_form(
        name="Gone Person", left_company="y", is_key="y", version="1"))
    session.refresh(person)
    first = person.left_company_at
    assert first is not None
    client.post(f"/stakeholders/{person.id}/edit", data=_form(
        name="Gone Person", left_company="y", is_key="y", version="2", title="Ex-CIO"))
    session.refresh(person)
    assert person.left_company_at == first and person.title == "Ex-CIO"


def test_stakeholder_page_and_map_show_departed_struck_through(login_as: Any, cast: Any,
                                                               session: Any) -> None:
    make_stakeholder(session, cast.account1, "Departed Dave", is_key=True,
                     left_company_at=datetime(2026, 10, 1, tzinfo=UTC))
    session.commit()
    body = login_as(cast.leader).get("/accounts/acme-corp").get_data(as_text=True)
    assert 'is-key is-gone' in body and "Departed Dave" in body


def test_other_accounts_stakeholders_not_offered_as_managers(login_as: Any, cast: Any,
                                                            session: Any) -> None:
    other = make_account(session, "Other", owner=cast.am1)
    make_stakeholder(session, other, "Elsewhere Ed")
    session.commit()
    body = login_as(cast.am1).get("/accounts/acme-corp/stakeholders/new").get_data(
        as_text=True)
    assert "Carol Buyer" in body and "Elsewhere Ed" not in body
