"""The win/loss write functions called directly, as the CLI and the API call them: each
checks its input, records its own audit event (with the acting user) and leaves the
commit to the caller."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from valuetracker import links
from valuetracker.db import StaleEditError
from valuetracker.models import AuditEvent, Deal, GuideQuestion, ProgramRule, WinLossInterview
from valuetracker.winloss import guides, rules, taxonomy
from valuetracker.winloss.deals import create_deal, debrief_deal, update_deal
from valuetracker.winloss.errors import WinLossError
from valuetracker.winloss.interviews import (
    Recording,
    record_interview,
    request_interview,
    submit_survey,
)

from .factories import make_competitor, make_deal, make_factor, make_guide


def _trail(session: Any) -> list[tuple[Any, ...]]:
    return [(e.action, e.entity, e.summary, e.user_id) for e in session.exec(
        select(AuditEvent).order_by(AuditEvent.id)).all()]


def _deal_data(account_id: int | None, **kw: Any) -> dict[str, Any]:
    data = {"name": "Acme platform", "account_id": account_id, "outcome": "lost",
            "amount": Decimal("25000"), "product": None, "owner_id": None, "opened_on": None,
            "closed_on": date(2026, 10, 1), "external_id": "CRM-1"}
    data.update(kw)
    return data


def test_create_update_and_debrief_a_deal(session: Any, cast: Any) -> None:
    make_competitor(session, "Microsoft", "MSFT")
    session.add(ProgramRule(name="Big losses", outcome="lost", min_amount=5000))
    session.commit()
    saved = create_deal(session, data=_deal_data(cast.account1.id), competitors=["msft"],
                        primary_competitor=None, user=cast.analyst)
    session.commit()
    assert saved.requested is not None and saved.requested.rule_id is not None
    assert saved.deal.primary_competitor_id is not None
    assert _trail(session) == [
        ("create", "deal", "deal Acme platform created", cast.analyst.id),
        ("create", "interview",
         f"interview requested for deal Acme platform by rule {saved.requested.rule_id}",
         cast.analyst.id)]

    deal = saved.deal
    update_deal(session, deal, data=_deal_data(cast.account1.id, name="Acme XL"),
                expected_version=1, competitors=[], primary_competitor=None, user=cast.am1)
    session.commit()
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.summary, event.details) == ("deal Acme XL updated",
                                              {"name": ["Acme platform", "Acme XL"]})
    with pytest.raises(StaleEditError):
        update_deal(session, deal, data=_deal_data(cast.account1.id, name="Stale"),
                    expected_version=1, competitors=[], primary_competitor=None, user=cast.am1)
    session.rollback()
    session.refresh(deal)
    assert deal.name == "Acme XL"

    open_deal = make_deal(session, cast.account1, "open", owner_id=cast.am1.id, amount=9000)
    session.commit()
    saved = debrief_deal(session, open_deal, data={
        "outcome": "lost", "closed_on": date(2026, 10, 2), "rep_reason_id": None,
        "rep_notes": "Price"}, expected_version=1, user=cast.am1)
    session.commit()
    assert saved.requested is not None
    assert _trail(session)[-2:] == [
        ("update", "deal", f"debrief of deal {open_deal.name}", cast.am1.id),
        ("create", "interview", f"interview requested for deal {open_deal.name}", cast.am1.id)]


def test_deal_checks_refuse_before_writing(session: Any, cast: Any) -> None:
    make_deal(session, cast.account1, external_id="CRM-1")
    session.commit()
    with pytest.raises(WinLossError) as refused:
        create_deal(session, data=_deal_data(cast.account1.id), competitors=[],
                    primary_competitor=None, user=cast.analyst)
    assert (refused.value.field, refused.value.messages) == (
        "external_id", ["Another deal has this external id."])
    with pytest.raises(WinLossError) as refused:
        create_deal(session, data=_deal_data(None, external_id=None, closed_on=None,
                                             owner_id=cast.am2.id),
                    competitors=[], primary_competitor=None, user=cast.am1)
    assert refused.value.field is None and refused.value.messages == [
        "A closed deal needs an account.", "A closed deal needs a close date.",
        "A deal without an account must be your own."]
    open_deal = make_deal(session, None, "open")
    with pytest.raises(WinLossError):
        debrief_deal(session, open_deal, data={"outcome": "won", "closed_on": None,
                                               "rep_reason_id": None, "rep_notes": None},
                     expected_version=1, user=cast.analyst)
    session.rollback()
    assert len(session.exec(select(Deal)).all()) == 1 and _trail(session) == []


def test_request_and_record_an_interview(session: Any, cast: Any) -> None:
    price = make_factor(session, "Price", "Commercial")
    guide = make_guide(session, "won", factor=price)
    open_deal = make_deal(session, cast.account1, "open")
    deal = make_deal(session, cast.account1, "won", name="Acme won")
    session.commit()
    with pytest.raises(WinLossError, match="Interviews are for closed deals."):
        request_interview(session, open_deal, user=cast.analyst)
    interview = request_interview(session, deal, user=cast.analyst)
    session.commit()
    assert (interview.guide_id, interview.interviewer_id) == (guide.id, cast.analyst.id)

    interview.interviewer_id = None
    data = {"stakeholder_id": cast.stakeholder1.id, "contact_name": None,
            "contact_title": None, "anonymity": "anonymized", "status": "completed",
            "channel": "video", "scheduled_for": None, "completed_at": None,
            "primary_reason_id": price.id, "notes": None}
    diff = record_interview(session, interview, data=data, recording=Recording(
        ratings={price.id: (4, 5, "win_driver")}), expected_version=interview.version,
        user=cast.admin)
    session.commit()
    assert interview.completed_at is not None  # the first completion is stamped
    assert interview.interviewer_id == cast.admin.id and "stakeholder_id" in diff
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.summary == "interview of deal Acme won recorded (completed)"
    # The trail names the fields changed, never the (anonymous) interviewee.
    assert set(event.details.values()) == {"changed"}


def test_taxonomy_guides_and_rules(session: Any, cast: Any) -> None:
    factor = taxonomy.add_factor(session, data={"category": "Product", "name": "Security",
                                                "position": None, "active": True},
                                 user=cast.analyst)
    assert factor.position == 100
    with pytest.raises(WinLossError) as refused:
        taxonomy.add_factor(session, data={"category": "Product", "name": "Security",
                                           "position": 1, "active": True})
    assert refused.value.field == "name"
    taxonomy.update_factor(session, factor, data={"category": "Product", "name": "Safety",
                                                  "position": None, "active": False},
                           expected_version=factor.version, user=cast.analyst)
    assert (factor.name, factor.position, factor.active) == ("Safety", 0, False)
    added = taxonomy.load_default_taxonomy(session, user=cast.analyst)

    guide = guides.create_guide(session, data={"name": "Won", "outcome": "won",
                                               "active": True}, user=cast.analyst)
    first = guides.add_question(session, guide, data={"text": "Why?", "kind": "text",
                                                      "choices": None, "factor_id": None})
    second = guides.add_question(session, guide, data={"text": "How?", "kind": "text",
                                                       "choices": None, "factor_id": None})
    guides.move_question(session, second, -1, user=cast.analyst)
    assert (second.position, first.position) == (10, 20)
    guides.update_question(session, first, data={"text": "Why really?"},
                           expected_version=first.version, user=cast.analyst)
    guides.update_guide(session, guide, data={"name": "Won deals"},
                        expected_version=guide.version, user=cast.analyst)
    guides.remove_question(session, second, user=cast.analyst)
    assert [q.id for q in session.exec(select(GuideQuestion)).all()] == [first.id]
    assert first.position == 10

    with pytest.raises(WinLossError) as refused:
        rules.create_rule(session, data={"name": "Vs nobody", "competitor": "Nobody"})
    assert refused.value.field == "competitor"
    make_competitor(session, "Microsoft", "MSFT")
    rule = rules.create_rule(session, data={"name": "Vs MS", "competitor": "msft",
                                            "outcome": None, "segment": "Enterprise"},
                             user=cast.analyst)
    rules.toggle_rule(session, rule, expected_version=rule.version, user=cast.analyst)
    session.commit()
    assert rule.competitor_id is not None and rule.active is False
    assert [(action, entity, summary) for action, entity, summary, _ in _trail(session)] == [
        ("create", "decision_factor", "factor Product / Security added"),
        ("update", "decision_factor", "factor Safety updated"),
        ("create", "decision_factor", f"default taxonomy loaded ({added} factors added)"),
        ("create", "interview_guide", "guide Won created"),
        ("create", "guide_question", "question added to guide Won"),
        ("create", "guide_question", "question added to guide Won"),
        ("update", "guide_question", "question moved up"),
        ("update", "guide_question", "question updated"),
        ("update", "interview_guide", "guide Won deals updated"),
        ("delete", "guide_question", "question removed from guide Won deals"),
        ("create", "program_rule", "program rule Vs MS created"),
        ("update", "program_rule", "program rule Vs MS paused"),
    ]
    assert {user_id for *_, user_id in _trail(session)} == {cast.analyst.id, None}


def test_submit_survey_uses_the_link_up(app: Any, session: Any, cast: Any) -> None:
    deal = make_deal(session, cast.account1, "lost")
    session.add(WinLossInterview(deal_id=deal.id, status="requested"))
    session.commit()
    with app.test_request_context():
        link, _token = links.create_link(session, "buyer_survey", deal_id=deal.id,
                                         stakeholder_id=cast.stakeholder1.id)
    session.commit()
    interview = submit_survey(session, link, deal, guide_id=None, recording=Recording(),
                              primary_reason_id=None, named=False, comment="Good luck",
                              when=datetime(2026, 10, 5, tzinfo=UTC))
    session.commit()
    assert (interview.status, interview.channel, interview.anonymity) == (
        "completed", "survey", "anonymized")
    assert interview.stakeholder_id == cast.stakeholder1.id  # from the link, never the form
    assert len(session.exec(select(WinLossInterview)).all()) == 1  # the request, answered
    assert _trail(session) == [("create", "interview",
                                f"buyer survey answered for deal {deal.id}", None)]
    with pytest.raises(links.LinkError):
        submit_survey(session, link, deal, guide_id=None, recording=Recording(),
                      primary_reason_id=None, named=True, comment=None)
