"""Events become notifications for the right users, with the channels they want: the
account's owner and team (never the actor), a task's assignee, defaults and
preferences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker import events, links, stakeholders
from valuetracker import value as domain
from valuetracker.models import AccountMember, Notification, NotificationPreference, utcnow
from valuetracker.value.outreach import submit_pulse

from .factories import make_entry, make_stakeholder, make_user

DETRACTOR = {"satisfaction": 2, "repurchase_intent": "probably_not", "recommend": 3,
             "driver_ranking": ["risk_reduction", "productivity", "strategic"]}
PROMOTER = dict(DETRACTOR, satisfaction=5, repurchase_intent="definitely", recommend=10)


def _rows(session: Session) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).order_by(Notification.id)).all())


def _who(session: Session) -> list[tuple[str, int, bool, bool]]:
    return [(n.event, n.user_id, n.in_app, n.email) for n in _rows(session)]


def test_a_dispute_tells_the_owner_and_team_not_the_actor_nor_other_teams(
        app: Flask, session: Session, cast: Any) -> None:
    member = make_user(session, "account_manager", name="Tess Team")
    session.add(AccountMember(account_id=cast.account1.id, user_id=member.id))
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    session.commit()
    with app.app_context():
        domain.record_confirmation(session, entry, stakeholder_id=cast.stakeholder1.id,
                                   response="disputed", comment="Not us", user=member)
        session.commit()
    # The member recorded it: only the owner hears of it, in the app and by e-mail.
    rows = _rows(session)
    assert [(n.event, n.user_id, n.in_app, n.email) for n in rows] == [
        ("value.disputed", cast.am1.id, True, True)]
    assert rows[0].text == "Carol Buyer disputed “Faster close” at Acme Corp: “Not us”"
    assert rows[0].url == f"/accounts/{cast.account1.slug}/value/log"
    assert rows[0].account_id == cast.account1.id and rows[0].entity_id == entry.id


def test_a_stakeholders_own_answer_tells_the_whole_team_and_confirmations_only_in_app(
        app: Flask, session: Session, cast: Any) -> None:
    member = make_user(session, "account_manager")
    session.add(AccountMember(account_id=cast.account1.id, user_id=member.id))
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="adjusted", comment=None,
                            adjusted_amount=Decimal("800"))
        session.commit()
    assert sorted(_who(session)) == sorted([
        ("value.confirmed", cast.am1.id, True, False),
        ("value.confirmed", member.id, True, False),
        ("value.adjusted", cast.am1.id, True, True),
        ("value.adjusted", member.id, True, True)])
    assert all(n.user_id not in (cast.am2.id, cast.leader.id) for n in _rows(session))


def test_pulse_e_mails_only_a_detractors_answer(app: Flask, session: Session,
                                                cast: Any) -> None:
    with app.app_context():
        for answers in (PROMOTER, DETRACTOR):
            link, _token = links.create_link(session, "pulse", account_id=cast.account1.id,
                                             stakeholder_id=cast.stakeholder1.id)
            session.commit()
            submit_pulse(session, link, answers)
            session.commit()
    rows = _rows(session)
    assert [(n.event, n.email) for n in rows] == [("pulse.answered", False),
                                                  ("pulse.answered", True)]
    assert "3/10 (detractor)" in rows[1].text and rows[1].url.endswith("/value/pulses")


def test_a_key_stakeholder_leaving_is_e_mailed_another_only_shown(
        app: Flask, session: Session, cast: Any) -> None:
    nina = make_stakeholder(session, cast.account1, "Nina Costa", buying_role="champion",
                            is_key=True)
    omar = make_stakeholder(session, cast.account1, "Omar Ops")
    session.commit()
    with app.app_context():
        stakeholders.set_flag(session, nina, "left", True, user=cast.am2)
        stakeholders.set_flag(session, omar, "left", True, user=cast.am2)
        session.commit()
    rows = _rows(session)
    assert [(n.text, n.email) for n in rows] == [
        ("Nina Costa (key stakeholder, champion) left Acme Corp.", True),
        ("Omar Ops left Acme Corp.", False)]
    assert rows[0].url == f"/stakeholders/{nina.id}"


def test_preferences_turn_channels_off_and_on(app: Flask, session: Session,
                                              cast: Any) -> None:
    session.add_all([
        NotificationPreference(user_id=cast.am1.id, event="value.disputed", channel="in_app",
                               enabled=False),
        NotificationPreference(user_id=cast.am1.id, event="value.disputed", channel="email",
                               enabled=False),
        NotificationPreference(user_id=cast.am1.id, event="deal.closed", channel="email",
                               enabled=True)])
    entry = make_entry(session, cast.account1, "1000")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="disputed", comment=None)
        events.emit(session, "deal.closed", account_id=cast.account1.id, entity="deal",
                    entity_id=None, data={"name": "Acme platform", "outcome": "lost"})
        session.commit()
    # Both channels of the dispute off: no notification at all.
    assert _who(session) == [("deal.closed", cast.am1.id, True, True)]


def test_a_task_assignment_tells_the_assignee_only(app: Flask, session: Session,
                                                   cast: Any) -> None:
    with app.app_context():
        events.emit(session, "task.assigned", account_id=cast.account1.id, entity="task",
                    entity_id=None, user=cast.am1,
                    data={"assignee_id": cast.am2.id, "title": "Map the successor",
                          "due_on": "2026-12-16"})
        events.emit(session, "task.assigned", account_id=cast.account1.id, entity="task",
                    entity_id=None, user=cast.am1, data={"assignee_id": cast.am1.id})
        session.commit()
    rows = _rows(session)
    assert [(n.user_id, n.email) for n in rows] == [(cast.am2.id, True)]
    assert rows[0].text == ("Task “Map the successor” at Acme Corp was assigned to you, "
                            "due 2026-12-16.")


def test_an_event_rolled_back_leaves_no_notification(app: Flask, session: Session,
                                                     cast: Any) -> None:
    entry = make_entry(session, cast.account1, "1000")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="disputed", comment=None)
        session.rollback()
    assert _rows(session) == []


def test_inactive_users_hear_nothing(app: Flask, session: Session, cast: Any) -> None:
    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    with app.app_context():
        events.emit(session, "deal.closed", account_id=cast.account1.id, entity="deal",
                    entity_id=None, data={"name": "X", "outcome": "won"})
        session.commit()
    assert _rows(session) == []
    assert utcnow()  # the clock the rows use is timezone-aware


def test_a_long_comment_is_cut_on_one_line(app: Flask, session: Session, cast: Any) -> None:
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="disputed", comment="Not us.\n" + "really " * 300)
        session.commit()
    (row,) = _rows(session)
    assert "\n" not in row.text and row.text.endswith("…”") and len(row.text) < 300
