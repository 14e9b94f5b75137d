"""Domain events: each write path emits its event once, in the writer's transaction,
whatever called it (a form's write function, an import, a stakeholder's own link)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from valuetracker import events, links, stakeholders
from valuetracker import value as domain
from valuetracker.imports import run_import
from valuetracker.models import Job
from valuetracker.summaries.runs import create_summaries_job, enqueue_job
from valuetracker.value.outreach import submit_pulse
from valuetracker.winloss.deals import create_deal, update_deal
from valuetracker.winloss.interviews import Recording, record_interview

from .conftest import Inbox
from .factories import make_deal, make_entry, make_interview, make_stakeholder
from .factories.csv_files import csv_bytes

PULSE = {"satisfaction": 2, "repurchase_intent": "probably_not", "recommend": 3,
         "driver_ranking": ["risk_reduction", "productivity", "strategic"]}


@pytest.fixture
def seen() -> Iterator[list[events.Event]]:
    """Every event emitted during the test, in order."""
    got: list[events.Event] = []

    def catch(session: Session, event: events.Event) -> None:
        assert session.in_transaction()  # handlers write in the writer's transaction
        got.append(event)

    events.handler(catch)
    yield got
    events._handlers.remove(catch)


def _names(seen: list[events.Event]) -> list[str]:
    return [e.name for e in seen]


def test_an_unknown_event_name_is_refused(session: Session) -> None:
    with pytest.raises(KeyError, match="value.dispute"):
        events.emit(session, "value.dispute", account_id=None, entity="x", entity_id=None)


def test_answers_emit_confirmed_adjusted_disputed_and_pulse(
        app: Flask, session: Session, cast: Any, seen: list[events.Event]) -> None:
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    other = make_entry(session, cast.account1, "500", title="Fewer tickets")
    session.commit()
    domain.record_confirmation(session, entry, stakeholder_id=cast.stakeholder1.id,
                               response="adjusted", comment="More like 800",
                               adjusted_amount=Decimal("800"), user=cast.am1)
    domain.record_confirmation(session, other, stakeholder_id=cast.stakeholder1.id,
                               response="disputed", comment="Not us", user=cast.am1)
    assert _names(seen) == ["value.confirmed", "value.adjusted", "value.disputed"]
    adjusted = seen[1]
    assert (adjusted.account_id, adjusted.entity, adjusted.entity_id, adjusted.actor_id) == (
        cast.account1.id, "value_entry", entry.id, cast.am1.id)
    assert adjusted.data["amount"] == "800" and adjusted.data["title"] == "Faster close"
    assert seen[2].data["comment"] == "Not us"

    # A pulse answered through the stakeholder's own link: no acting user.
    with app.app_context():
        link, _token = links.create_link(session, "pulse", account_id=cast.account1.id,
                                         stakeholder_id=cast.stakeholder1.id)
    session.commit()
    pulse = submit_pulse(session, link, PULSE)
    answered = seen[-1]
    assert answered.name == "pulse.answered" and answered.entity_id == pulse.id
    assert answered.actor_id is None
    assert (answered.data["nps_group"], answered.data["stakeholder"]) == (
        "detractor", "Carol Buyer")


def test_stakeholder_marks_emit_once_on_every_path(
        session: Session, cast: Any, seen: list[events.Event]) -> None:
    nina = make_stakeholder(session, cast.account1, "Nina Costa", buying_role="champion",
                            is_key=True, email="nina@acme.example")
    session.commit()
    assert stakeholders.set_flag(session, nina, "left", True, user=cast.am1)
    assert not stakeholders.set_flag(session, nina, "left", True, user=cast.am1)
    assert stakeholders.set_flag(session, nina, "key", False, user=cast.am1)
    assert _names(seen) == ["stakeholder.left"]
    assert seen[0].data == {"name": "Nina Costa", "is_key": True, "buying_role": "champion",
                            "via": "web"}

    assert stakeholders.opt_out_by_link(session, cast.stakeholder1)
    assert seen[-1].name == "stakeholder.opted_out" and seen[-1].data["via"] == "link"

    # An import marks someone as left: the event says so, once; re-importing is silent.
    file = csv_bytes(["account", "name", "email", "left_company"],
                     [["Acme Corp", "Omar Ops", "omar@acme.example", "yes"]])
    run_import(session, "stakeholders", file, actor=cast.am1)
    run_import(session, "stakeholders", file, actor=cast.am1)
    imported = [e for e in seen if e.data.get("via") == "import"]
    assert [(e.name, e.data["name"]) for e in imported] == [("stakeholder.left", "Omar Ops")]
    assert imported[0].entity_id is not None and imported[0].account_id == cast.account1.id


def test_deal_closed_fires_when_a_deal_closes_not_when_it_is_edited(
        session: Session, cast: Any, seen: list[events.Event]) -> None:
    data = {"name": "Acme platform", "account_id": cast.account1.id, "outcome": "open",
            "amount": Decimal("25000"), "product": None, "owner_id": cast.am1.id,
            "opened_on": None, "closed_on": None, "external_id": "CRM-1"}
    deal = create_deal(session, data=data, competitors=[], primary_competitor=None,
                       user=cast.am1).deal
    assert seen == []
    update_deal(session, deal, data={**data, "outcome": "lost", "closed_on": date(2026, 10, 1)},
                expected_version=deal.version, competitors=[], primary_competitor=None,
                user=cast.am1)
    update_deal(session, deal, data={**data, "outcome": "lost", "closed_on": date(2026, 10, 1),
                                     "amount": Decimal("26000")},
                expected_version=deal.version, competitors=[], primary_competitor=None,
                user=cast.am1)
    assert [(e.name, e.data["outcome"], e.entity_id) for e in seen] == [
        ("deal.closed", "lost", deal.id)]

    file = csv_bytes(["external_id", "account", "name", "outcome", "closed_on", "amount"],
                     [["CRM-9", "Acme Corp", "Renewal", "won", "2026-11-02", "9000"],
                      ["CRM-10", "Acme Corp", "Upsell", "open", "", ""]])
    run_import(session, "deals", file, actor=cast.am1)
    imported = [e for e in seen if e.data.get("via") == "import"]
    assert [(e.data["name"], e.data["outcome"], e.data["amount"]) for e in imported] == [
        ("Renewal", "won", "9000")]


def test_interview_completed_once(session: Session, cast: Any,
                                  seen: list[events.Event]) -> None:
    deal = make_deal(session, cast.account1, "won", name="Acme won")
    interview = make_interview(session, deal, cast.stakeholder1, status="scheduled")
    session.commit()
    data = {"stakeholder_id": cast.stakeholder1.id, "contact_name": None,
            "contact_title": None, "anonymity": "anonymized", "status": "completed",
            "channel": "video", "scheduled_for": None, "completed_at": None,
            "primary_reason_id": None, "notes": None}
    for _ in range(2):  # saved twice: completed once
        record_interview(session, interview, data=data, recording=Recording(),
                         expected_version=interview.version, user=cast.analyst)
    assert [(e.name, e.data["deal"]) for e in seen] == [("interview.completed", "Acme won")]
    assert "Carol" not in str(seen[0].data)  # an anonymized interviewee stays anonymous


def test_summary_sent(smtp: Inbox, app: Flask, session: Session, cast: Any,
                      seen: list[events.Event]) -> None:
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id],
                               send=True)
    session.commit()
    enqueue_job(app, job)
    session.expire_all()
    assert session.get(Job, job.id).status == "done"  # type: ignore[union-attr]
    # The job runs in the worker's own sessions; the handler saw its event there.
    sent = [e for e in seen if e.name == "summary.sent"]
    assert [(e.account_id, e.data["stakeholder"], e.data["quarter"]) for e in sent] == [
        (cast.account1.id, "Carol Buyer", "2026-Q3")]
    assert len(smtp.messages) == 1
