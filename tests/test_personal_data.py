"""A stakeholder's personal data: JSON export and erasure (records kept, unattributed)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import (
    AccessLink,
    AuditEvent,
    Deal,
    InterviewQuote,
    LoyaltyPulse,
    Stakeholder,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    WinLossInterview,
)


def _history(session: Any, cast: Any) -> dict[str, Any]:
    """Pulses, a confirmation, a benefit, an interview and an open link for Carol."""
    person = cast.stakeholder1
    person.title = "CFO"
    person.phone = "+1 555 0100"
    person.preferences = "Morning calls"
    person.notes = "Scuba diving"
    person.external_id = "SF-C-1"
    session.add(person)
    entry = ValueEntry(account_id=cast.account1.id, title="Freight costs down", driver=
                       "cost_reduction", amount=Decimal("125000"), delivered_on=date(2026, 9, 1))
    session.add(entry)
    session.flush()
    session.add(ValueEntryBeneficiary(entry_id=entry.id, stakeholder_id=person.id))
    session.add(ValueConfirmation(entry_id=entry.id, stakeholder_id=person.id,
                                  response="confirmed", comment="Yes, we saw it"))
    for taken, score in ((date(2026, 6, 1), 8), (date(2026, 9, 1), 10)):
        session.add(LoyaltyPulse(stakeholder_id=person.id, account_id=cast.account1.id,
                                 taken_on=taken, satisfaction=5, repurchase_intent="definitely",
                                 recommend=score, comment="Great team"))
    deal = Deal(account_id=cast.account1.id, name="Renewal 2026", outcome="won")
    session.add(deal)
    session.flush()
    interview = WinLossInterview(deal_id=deal.id, stakeholder_id=person.id,
                                 contact_name="Carol Buyer", contact_title="CFO",
                                 status="completed")
    session.add(interview)
    session.flush()
    session.add(InterviewQuote(interview_id=interview.id, text="Onboarding was painless"))
    link = AccessLink(nonce="n-1", purpose="pulse", stakeholder_id=person.id,
                      expires_at=datetime.now(UTC) + timedelta(days=7))
    session.add(link)
    session.commit()
    return {"entry": entry, "interview": interview, "link": link}


def test_export_contains_everything_about_the_person(login_as: Any, cast: Any,
                                                     session: Any) -> None:
    _history(session, cast)
    client = login_as(cast.am1)
    assert client.get(f"/stakeholders/{cast.stakeholder1.id}/export").status_code == 405
    response = client.post(f"/stakeholders/{cast.stakeholder1.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["stakeholder"]["name"] == "Carol Buyer"
    assert data["stakeholder"]["notes"] == "Scuba diving"
    assert data["account"]["name"] == "Acme Corp"
    assert [p["recommend"] for p in data["loyalty_pulses"]] == [8, 10]
    assert data["value_confirmations"][0]["entry_title"] == "Freight costs down"
    assert data["value_entries_benefited"][0]["amount"] == "125000.00"
    interview = data["winloss_interviews"][0]
    assert interview["deal"] == "Renewal 2026"
    assert interview["quotes"][0]["text"] == "Onboarding was painless"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()


def test_erase_anonymises_but_keeps_records(login_as: Any, cast: Any, session: Any) -> None:
    made = _history(session, cast)
    person = cast.stakeholder1
    client = login_as(cast.am1)
    # without the confirmation tick nothing happens
    response = client.post(f"/stakeholders/{person.id}/erase", data={})
    assert response.status_code == 200 and "Tick the box" in response.get_data(as_text=True)
    response = client.post(f"/stakeholders/{person.id}/erase", data={"confirm": "y"})
    assert response.status_code == 302
    session.expire_all()
    erased = session.get(Stakeholder, person.id)
    assert erased.name == f"Erased stakeholder #{person.id}"
    for column in ("email", "phone", "title", "preferences", "notes", "external_id"):
        assert getattr(erased, column) is None, column
    assert erased.erased_at is not None and not erased.is_reachable
    # the records stay, their figures still count, but no longer say who
    assert len(session.exec(select(LoyaltyPulse)).all()) == 2
    assert session.exec(select(ValueConfirmation)).one().response == "confirmed"
    assert session.exec(select(ValueEntryBeneficiary)).one()
    interview = session.get(WinLossInterview, made["interview"].id)
    assert interview.contact_name is None and interview.contact_title is None
    assert session.exec(select(InterviewQuote)).one().text == "Onboarding was painless"
    assert session.get(AccessLink, made["link"].id).revoked_at is not None
    # the audit trail says an erasure happened, not what was erased
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
    assert "Carol" not in event.summary and event.entity_id == str(person.id)
    # the name is gone from the account page and the record takes no new personal data
    body = client.get("/accounts/acme-corp").get_data(as_text=True)
    assert "Carol Buyer" not in body and f"Erased stakeholder #{person.id}" in body
    assert client.post(f"/stakeholders/{person.id}/edit",
                       data={"name": "Carol Buyer"}).status_code == 409


def test_only_editors_of_the_account_may_export_or_erase(login_as: Any, cast: Any,
                                                         session: Any) -> None:
    sid = cast.stakeholder1.id
    for user, code in ((cast.am2, 404), (cast.leader, 403), (cast.analyst, 403)):
        client = login_as(user)
        assert client.post(f"/stakeholders/{sid}/export").status_code == code
        assert client.get(f"/stakeholders/{sid}/erase").status_code == code
        assert client.post(f"/stakeholders/{sid}/erase",
                           data={"confirm": "y"}).status_code == code
    session.refresh(cast.stakeholder1)
    assert cast.stakeholder1.erased_at is None
    assert login_as(cast.admin).post(f"/stakeholders/{sid}/export").status_code == 200
