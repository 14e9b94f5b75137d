"""A stakeholder's personal data: JSON export and erasure (records kept, unattributed)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import (
    DRIVERS,
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
    # Interviews are the program's: an account manager's export leaves them out.
    assert data["winloss_interviews"] == [] and "winloss_interviews_note" in data
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    response = login_as(cast.admin).post(f"/stakeholders/{cast.stakeholder1.id}/export")
    interview = json.loads(response.get_data(as_text=True))["winloss_interviews"][0]
    assert interview["deal"] == "Renewal 2026"
    assert interview["quotes"][0]["text"] == "Onboarding was painless"


def test_export_by_account_manager_does_not_reveal_anonymous_interviews(
        login_as: Any, cast: Any, session: Any) -> None:
    """An anonymized interview must not reach the account team through the export."""
    made = _history(session, cast)
    interview = session.get(WinLossInterview, made["interview"].id)
    interview.anonymity = "anonymized"
    session.add(interview)
    session.commit()
    body = login_as(cast.am1).post(
        f"/stakeholders/{cast.stakeholder1.id}/export").get_data(as_text=True)
    assert "Onboarding was painless" not in body and "Renewal 2026" not in body
    assert "anonymized" not in body


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
    assert erased.erased_at is not None
    assert erased.contact_block_reason(by_email=False) == "erased"
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


def test_erase_removes_the_person_from_the_audit_trail(login_as: Any, cast: Any,
                                                        session: Any) -> None:
    """Created, renamed, emailed, pulsed: after erasure no audit event names the person."""
    client = login_as(cast.am1)
    response = client.post("/accounts/acme-corp/stakeholders/new", data={
        "name": "Erin Evaluator", "email": "erin@acme.example", "buying_role": "other",
        "influence": "3", "sentiment": "neutral", "reports_to_id": "",
        "preferred_channel": ""})
    assert response.status_code == 302
    person = session.exec(select(Stakeholder).where(Stakeholder.name == "Erin Evaluator")).one()
    response = client.post(f"/stakeholders/{person.id}/edit", data={
        "name": "Erin Q. Evaluator", "email": "erin.q@acme.example", "phone": "+1 555 0199",
        "buying_role": "other", "influence": "3", "sentiment": "neutral",
        "reports_to_id": "", "preferred_channel": "", "version": "1"})
    assert response.status_code == 302
    response = client.post("/accounts/acme-corp/value/pulses/new", data={
        "stakeholder_id": str(person.id), "taken_on": "2026-10-01", "satisfaction": "4",
        "repurchase_intent": "probably", "recommend": "8",
        **{f"rank_{i + 1}": d for i, d in enumerate(DRIVERS)}})
    assert response.status_code == 302
    trail = " ".join(f"{e.summary} {e.details}" for e in session.exec(select(AuditEvent)).all())
    # the arrangement works: the trail names the person in three ways
    assert "pulse recorded for Erin Q. Evaluator" in trail
    assert "erin@acme.example" in trail and "Erin Evaluator added" in trail
    assert client.post(f"/stakeholders/{person.id}/erase",
                       data={"confirm": "y"}).status_code == 302
    session.expire_all()
    events = session.exec(select(AuditEvent)).all()
    trail = " ".join(f"{e.summary} {e.details}" for e in events)
    for personal in ("Erin", "erin@", "erin.q@", "555 0199"):
        assert personal not in trail, personal
    # what happened, when and by whom is still there
    assert {e.action for e in events} >= {"create", "update", "erase"}
    assert f"Erased stakeholder #{person.id}" in trail


def test_erase_deletes_the_persons_summaries_and_recipient_address(
        app: Any, login_as: Any, cast: Any, session: Any) -> None:
    """A summary PDF names its reader; its sending keeps their email: both go."""
    from pathlib import Path

    from valuetracker.models import Distribution, ValueSummary

    person = cast.stakeholder1
    person.email = "carol@acme.example"
    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3" / "acme-corp"
    folder.mkdir(parents=True)
    pdf = folder / f"carol-buyer-{person.id}.pdf"
    pdf.write_bytes(b"%PDF-1.4 Prepared for Carol Buyer")
    summary = ValueSummary(account_id=cast.account1.id, stakeholder_id=person.id,
                           quarter="2026-Q3", sha256="0" * 64,
                           file_path=f"2026-Q3/acme-corp/carol-buyer-{person.id}.pdf")
    session.add_all([person, summary])
    session.flush()
    session.add(Distribution(summary_id=summary.id, recipient="carol@acme.example",
                             status="sent"))
    session.commit()
    client = login_as(cast.am1)
    assert client.post(f"/stakeholders/{person.id}/erase",
                       data={"confirm": "y"}).status_code == 302
    session.expire_all()
    assert not pdf.exists()
    kept = session.get(ValueSummary, summary.id)
    assert kept is not None and "carol" not in kept.file_path
    sending = session.exec(select(Distribution)).one()
    assert sending.status == "sent" and sending.recipient is None  # still never resent
    assert client.get(f"/accounts/acme-corp/summaries/{summary.id}.pdf").status_code == 404


def test_erase_deletes_mail_to_the_person_from_the_outbox(app: Any, login_as: Any, cast: Any,
                                                          session: Any) -> None:
    """Without SMTP, sent mail stays as .eml files naming the person: theirs go, not others'."""
    from pathlib import Path

    from valuetracker.models import Stakeholder as Person

    from .factories import make_stakeholder

    carol = cast.stakeholder1
    carol.email = "Carol@Acme.example"
    erin = make_stakeholder(session, cast.account1, "Erin Other", email="erin@acme.example")
    session.add(carol)
    session.commit()
    client = login_as(cast.am1)
    for person in (carol, erin, carol):
        response = client.post(f"/accounts/{cast.account1.slug}/value/links/new", data={
            "stakeholder_id": str(person.id), "purpose": "pulse", "scope": "concerning"})
        assert "Link sent" in response.get_data(as_text=True)
    outbox = Path(app.config["OUTBOX_DIR"])
    assert len(list(outbox.glob("*.eml"))) == 3

    assert client.post(f"/stakeholders/{carol.id}/erase",
                       data={"confirm": "y"}).status_code == 302
    left = [p.read_text() for p in outbox.glob("*.eml")]
    assert len(left) == 1 and "erin@acme.example" in left[0]
    assert not any("Carol" in text or "carol@" in text.lower() for text in left)
    session.expire_all()
    assert session.get(Person, carol.id).erased_at is not None
