"""The value write functions called directly, as the CLI and the API call them: each
records its own audit event (with the acting user) and leaves the commit to the caller."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from valuetracker import links
from valuetracker import value as domain
from valuetracker.models import (
    AccessLink,
    AuditEvent,
    LoyaltyPulse,
    ValueCommitment,
    ValueEntry,
    ValueEntryBeneficiary,
)

from .factories import make_entry, ranking

ENTRY = {"title": "Cut close", "description": None, "driver": "productivity",
         "amount": Decimal("12500.50"), "unit": "currency", "delivered_on": date(2026, 10, 15),
         "evidence_status": "claimed", "source": None}
PULSE = {"satisfaction": 4, "repurchase_intent": "probably", "recommend": 8,
         "driver_ranking": ranking("risk_reduction")}


def _trail(session: Any) -> list[tuple[Any, ...]]:
    return [(e.action, e.entity, e.summary, e.details, e.user_id) for e in session.exec(
        select(AuditEvent).order_by(AuditEvent.id)).all()]


def test_entries_confirmations_commitments_and_pulses(session: Any, cast: Any) -> None:
    am = cast.am1
    entry = domain.create_entry(session, cast.account1, ENTRY,
                                beneficiaries=[cast.stakeholder1.id, cast.stakeholder2.id],
                                user=am)
    assert entry.created_by_id == am.id
    # Only people at the entry's account benefit.
    assert session.exec(select(ValueEntryBeneficiary.stakeholder_id)).all() == [
        cast.stakeholder1.id]
    diff = domain.update_entry(session, entry, {**ENTRY, "amount": Decimal("9000")},
                               expected_version=entry.version, user=am)
    assert diff == {"amount": ["12500.50", "9000"]}
    confirmation = domain.record_confirmation(
        session, entry, stakeholder_id=cast.stakeholder1.id, response="adjusted",
        comment=" More like 800 ", adjusted_amount=Decimal("800"), user=am)
    assert (confirmation.method, confirmation.recorded_by_id) == ("recorded", am.id)
    assert (entry.evidence_status, entry.amount) == ("confirmed", Decimal("800"))

    commitment = domain.create_commitment(session, cast.account1, {
        "title": "Automate", "driver": "cost_reduction", "expected_amount": Decimal("5000"),
        "unit": "currency", "due_on": date(2026, 12, 1), "status": "in_progress"},
        delivered_by=entry, user=am)
    assert (commitment.status, commitment.delivered_on) == ("delivered", entry.delivered_on)
    domain.update_commitment(session, commitment, {"status": "dropped"},
                             expected_version=commitment.version, user=am)
    assert commitment.delivered_on is None and entry.commitment_id is None

    pulse = domain.record_pulse(session, cast.stakeholder1, PULSE, taken_on=date(2026, 11, 2),
                                user=am)
    assert (pulse.method, pulse.recorded_by_id) == ("recorded", am.id)
    domain.delete_entry(session, entry, user=am)
    session.commit()
    assert session.exec(select(ValueEntry)).all() == []
    assert session.get(ValueCommitment, commitment.id) is not None
    assert _trail(session) == [
        ("create", "value_entry", "value entry 'Cut close' on Acme Corp", None, am.id),
        ("update", "value_entry", "value entry 'Cut close' updated",
         {"amount": ["12500.50", "9000"]}, am.id),
        ("create", "value_confirmation", "adjusted answer recorded for 'Cut close'", None,
         am.id),
        ("create", "value_commitment", "commitment 'Automate' on Acme Corp", None, am.id),
        ("update", "value_commitment", "commitment 'Automate' updated",
         {"status": ["delivered", "dropped"]}, am.id),
        ("create", "loyalty_pulse", "pulse recorded for Carol Buyer", None, am.id),
        ("delete", "value_entry", "value entry 'Cut close' deleted from Acme Corp", None,
         am.id),
    ]


def test_links_are_sent_answered_and_withdrawn(app: Any, session: Any, cast: Any) -> None:
    entry = make_entry(session, cast.account1, 1000, title="Faster",
                       beneficiaries=(cast.stakeholder1,))
    session.commit()
    with app.test_request_context():
        sent = domain.send_link(session, account=cast.account1, stakeholder=cast.stakeholder1,
                                purpose="confirm_value", entry_ids=[entry.id], user=cast.am1)
        pulse_link = domain.send_link(session, account=cast.account1,
                                      stakeholder=cast.stakeholder1, purpose="pulse",
                                      user=cast.am1)
        spare = domain.send_link(session, account=cast.account1,
                                 stakeholder=cast.stakeholder1, purpose="pulse")
    session.commit()
    result = domain.submit_confirmation(
        session, sent.link, [domain.Answer(entry.id, "confirmed")],
        other_value="You trained our new hires")
    domain.submit_pulse(session, pulse_link.link, PULSE)
    domain.withdraw_link(session, spare.link, user=cast.am1)
    session.commit()
    assert result == {"answers": 1, "new_entries": 1}
    assert session.exec(select(LoyaltyPulse.method)).all() == ["link"]
    assert session.get(AccessLink, spare.link.id).revoked_at is not None
    assert [(action, entity, summary, details, user_id)
            for action, entity, summary, details, user_id in _trail(session)] == [
        ("create", "access_link", "confirm value link sent to Carol Buyer", {"entries": 1},
         cast.am1.id),
        ("create", "access_link", "pulse link sent to Carol Buyer", {"entries": 0},
         cast.am1.id),
        ("create", "access_link", "pulse link sent to Carol Buyer", {"entries": 0}, None),
        # The customer's answer is one event, the entry it adds included.
        ("create", "value_confirmation", "Carol Buyer answered a confirmation link",
         {"answers": 1, "new_entries": 1}, None),
        ("create", "loyalty_pulse", "Carol Buyer answered a pulse link", None, None),
        ("revoke", "access_link", "link withdrawn on Acme Corp", None, cast.am1.id),
    ]
    with pytest.raises(links.LinkError) as refused:
        domain.submit_pulse(session, pulse_link.link, PULSE)
    assert refused.value.reason == "used"
