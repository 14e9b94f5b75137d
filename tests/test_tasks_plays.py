"""Plays: each kind of signal makes its task once per occurrence (titled for the person
or object, assigned to the account's owner, due after the play's days); a re-run adds
nothing; a cleared signal closes the task of a play that says so. Run on SQLite and,
with VALUETRACKER_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from valuetracker import events
from valuetracker.models import AuditEvent, Task, TaskComment
from valuetracker.signals import KINDS, refresh_signals
from valuetracker.tasks import PLAYS, run_plays
from valuetracker.tasks.plays import PLAY_LIST, plays_for

from .factories import (
    make_commitment,
    make_confirmation,
    make_deal,
    make_entry,
    make_signal,
    make_stakeholder,
    make_user,
)

SINCE = date(2026, 11, 30)

# play key -> (the signal's subject: None, "entry", "commitment", "deal"; about a person?;
#              words its task's title must hold)
EXPECTED: dict[str, tuple[str | None, bool, str]] = {
    "map_successor": (None, True, "Find and map the successor of Nina Costa"),
    "win_back_detractor": (None, True, "Call Nina Costa to hear what went wrong"),
    "secure_loyalty": (None, True, "Ask Nina Costa what would make them definitely buy"),
    "resolve_dispute": ("entry", True,
                        "Resolve the dispute with Nina Costa about “Faster month-end close”"),
    "log_recent_value": (None, False, "Log the value delivered to Acme Corp lately"),
    "confirm_value": (None, False, "Ask Acme Corp to confirm this year's value"),
    "recover_commitment": ("commitment", False,
                           "Deliver or re-plan the overdue commitment “Automate invoicing”"),
    "plan_renewal_review": (None, False, "Plan the renewal review (renewal on 2027-01-15)"),
    "multi_thread": (None, False, "Meet a second contact at Acme Corp"),
    "find_economic_buyer": (None, False, "Find and meet the economic buyer at Acme Corp"),
    "reconnect": (None, True, "Get in touch with Nina Costa"),
    "review_nps_drop": (None, False, "Review why NPS fell at Acme Corp"),
    "debrief_lost_deal": ("deal", False, "Debrief the lost deal “Platform expansion” with"),
    "follow_up_link": (None, True, "Follow up with Nina Costa on the unanswered link"),
}


@pytest.fixture
def seen() -> Iterator[list[events.Event]]:
    got: list[events.Event] = []

    def catch(session: Session, event: events.Event) -> None:
        got.append(event)

    events.handler(catch)
    yield got
    events._handlers.remove(catch)


def test_every_signal_kind_has_a_play_and_every_play_a_kind() -> None:
    assert {play.kind for play in PLAY_LIST} == set(KINDS)
    assert set(EXPECTED) == set(PLAYS)


def _signal_for(session: Session, cast: Any, play_key: str) -> Any:
    subject, about_person, _ = EXPECTED[play_key]
    account = cast.account1
    account.renewal_date = date(2027, 1, 15)
    session.add(account)
    person = make_stakeholder(session, account, "Nina Costa", buying_role="champion",
                              is_key=True)
    extra: dict[str, Any] = {}
    if subject == "entry":
        entry = make_entry(session, account, "800", title="Faster month-end close")
        extra = {"subject_type": "value_entry", "subject_id": entry.id}
    elif subject == "commitment":
        commitment = make_commitment(session, account, due_on=date(2026, 11, 1),
                                     title="Automate invoicing")
        extra = {"subject_type": "commitment", "subject_id": commitment.id}
    elif subject == "deal":
        deal = make_deal(session, account, outcome="lost", name="Platform expansion")
        extra = {"subject_type": "deal", "subject_id": deal.id}
    signal = make_signal(session, account, PLAYS[play_key].kind,
                         stakeholder=person if about_person else None, since=SINCE,
                         **extra)
    session.commit()
    return signal, person


@pytest.mark.parametrize("play_key", sorted(EXPECTED))
def test_each_play_makes_its_task_once_and_closes_it_as_it_says(
        session: Session, cast: Any, play_key: str, seen: list[events.Event]) -> None:
    signal, person = _signal_for(session, cast, play_key)
    play = PLAYS[play_key]
    run = run_plays(session, opened=[signal])
    session.commit()
    [task] = run.created
    assert EXPECTED[play_key][2] in task.title
    assert (task.account_id, task.assignee_id) == (cast.account1.id, cast.am1.id)
    assert task.stakeholder_id == (person.id if EXPECTED[play_key][1] else None)
    assert task.due_on == date.today() + timedelta(days=play.due_days)  # from the run
    assert (task.source, task.play, task.signal_id, task.status) == (
        "play", play_key, signal.id, "open")
    assert [e.name for e in seen] == ["task.created", "task.assigned"]
    assert seen[1].data["assignee_id"] == cast.am1.id
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "task",
                                                 AuditEvent.entity_id == str(task.id))).one()

    # A re-run (the next refresh sees the same signal opened again) adds nothing.
    again = run_plays(session, opened=[signal])
    session.commit()
    assert again.created == []
    assert session.exec(select(sa.func.count()).select_from(Task)).one() == 1

    seen.clear()
    signal.cleared_at = datetime.now(UTC)
    session.add(signal)
    closing = run_plays(session, closed=[signal])
    session.commit()
    session.refresh(task)
    if play.closes:
        assert [t.id for t in closing.closed] == [task.id]
        assert task.status == "done" and task.done_at is not None
        note = session.exec(select(TaskComment).where(TaskComment.task_id == task.id)).one()
        assert note.text == play.close_note and note.author_id is None
        assert [e.name for e in seen] == ["task.done"]
    else:
        assert closing.closed == [] and task.status == "open" and seen == []


def test_a_closed_signal_leaves_a_task_someone_already_finished_alone(
        session: Session, cast: Any) -> None:
    signal, _ = _signal_for(session, cast, "map_successor")
    [task] = run_plays(session, opened=[signal]).created
    task.status, task.dismissed_reason = "dismissed", "They are coming back"
    session.commit()
    assert run_plays(session, closed=[signal]).closed == []
    session.refresh(task)
    assert task.status == "dismissed"


def test_no_owner_or_an_inactive_owner_leaves_the_task_unassigned(
        session: Session, cast: Any) -> None:
    signal, _ = _signal_for(session, cast, "reconnect")
    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    [task] = run_plays(session, opened=[signal]).created
    assert task.assignee_id is None


def test_a_recurrence_is_a_new_occurrence_with_a_new_task(session: Session, cast: Any) -> None:
    first, person = _signal_for(session, cast, "reconnect")
    run_plays(session, opened=[first])
    first.cleared_at = datetime.now(UTC)
    session.add(first)
    run_plays(session, closed=[first])
    second = make_signal(session, cast.account1, "key_not_contacted", stakeholder=person)
    session.commit()
    [task] = run_plays(session, opened=[second]).created
    assert task.signal_id == second.id
    statuses = session.exec(select(Task.status).order_by(Task.id)).all()
    assert statuses == ["done", "open"]


def test_the_database_refuses_a_second_task_of_one_play_for_one_signal(
        session: Session, cast: Any) -> None:
    signal, _ = _signal_for(session, cast, "map_successor")
    run_plays(session, opened=[signal])
    session.commit()
    session.add(Task(account_id=cast.account1.id, title="Again", source="play",
                     signal_id=signal.id, play="map_successor"))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


def test_refresh_signals_runs_the_plays_from_real_data(session: Session, cast: Any) -> None:
    """The refresh opens "key stakeholder left" and "value disputed" from the data; its
    plays make their tasks; a second refresh makes none; mapping a successor clears the
    signal and marks the successor task done."""
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    today = now.date()
    account = cast.account1
    buyer = cast.stakeholder1
    buyer.last_contacted_on = today - timedelta(days=3)
    buyer.created_at = now - timedelta(days=200)
    champion = make_stakeholder(session, account, "Nina Costa", buying_role="champion",
                                is_key=True, last_contacted_on=today - timedelta(days=10),
                                created_at=now - timedelta(days=200),
                                left_company_at=now - timedelta(days=5))
    entry = make_entry(session, account, "800", title="Faster month-end close",
                       delivered_on=today - timedelta(days=15), evidence_status="disputed")
    make_confirmation(session, entry, buyer, "Not our number", response="disputed",
                      responded_at=now - timedelta(days=4))
    session.add(buyer)
    session.commit()

    result = refresh_signals(session, today=today, now=now)
    session.commit()
    by_play = {t.play: t for t in result.plays.created if t.account_id == account.id}
    assert by_play["map_successor"].title == "Find and map the successor of Nina Costa"
    assert by_play["map_successor"].stakeholder_id == champion.id
    assert by_play["resolve_dispute"].title == (
        "Resolve the dispute with Carol Buyer about “Faster month-end close”")
    owners = {cast.account1.id: cast.am1.id, cast.account2.id: cast.am2.id}
    assert all(t.assignee_id == owners[t.account_id] for t in result.plays.created)
    count = session.exec(select(sa.func.count()).select_from(Task)).one()
    assert count == len(result.plays.created)

    again = refresh_signals(session, today=today, now=now)
    session.commit()
    assert again.plays.created == []
    assert session.exec(select(sa.func.count()).select_from(Task)).one() == count

    make_stakeholder(session, account, "Gina Successor", buying_role="champion", is_key=True,
                     created_at=now - timedelta(days=1), last_contacted_on=today)
    session.commit()
    later = refresh_signals(session, today=today, now=now)
    session.commit()
    assert by_play["map_successor"].id in {t.id for t in later.plays.closed}
    session.refresh(by_play["map_successor"])
    assert by_play["map_successor"].status == "done"


def test_plays_for_names_the_play_of_a_kind() -> None:
    assert [p.key for p in plays_for("key_stakeholder_left")] == ["map_successor"]
    assert plays_for("no_such_kind") == []


def test_a_play_made_by_someone_is_attributed(session: Session, cast: Any) -> None:
    signal, _ = _signal_for(session, cast, "reconnect")
    admin = make_user(session, "admin", email="ops@example.com")
    [task] = run_plays(session, opened=[signal], user=admin).created
    assert task.created_by_id == admin.id


def test_the_demo_has_tasks_by_people_and_by_plays(runner: Any, session: Session) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    sources = session.exec(select(Task.source, sa.func.count()).group_by(Task.source)).all()
    counts = dict(sources)
    assert counts.get("play", 0) >= 3 and counts.get("person", 0) >= 3
    played = session.exec(select(Task).where(Task.source == "play")).all()
    assert all(t.signal_id is not None and t.play in PLAYS for t in played)
    assert any(t.status == "done" for t in session.exec(select(Task)).all())
