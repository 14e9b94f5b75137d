"""The task write functions: checks (TaskError names the field), the audit trail (ids
and fields, never a title's or a comment's words) and the domain events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from valuetracker import events, tasks
from valuetracker.db import StaleEditError
from valuetracker.models import AccountMember, AuditEvent, TaskComment

from .factories import make_stakeholder, make_task, make_user


@pytest.fixture
def seen() -> Iterator[list[events.Event]]:
    got: list[events.Event] = []

    def catch(session: Session, event: events.Event) -> None:
        assert session.in_transaction()
        got.append(event)

    events.handler(catch)
    yield got
    events._handlers.remove(catch)


def _data(**kw: Any) -> dict[str, Any]:
    return {"title": "Call Carol", "stakeholder_id": None, "assignee_id": None,
            "due_on": date(2026, 12, 20), **kw}


def test_create_records_and_emits(session: Session, cast: Any,
                                  seen: list[events.Event]) -> None:
    task = tasks.create_task(session, cast.account1,
                             _data(assignee_id=cast.am1.id,
                                   stakeholder_id=str(cast.stakeholder1.id)), user=cast.am1)
    session.commit()
    assert (task.source, task.status, task.version, task.created_by_id) == (
        "person", "open", 1, cast.am1.id)
    assert [e.name for e in seen] == ["task.created", "task.assigned"]
    assert seen[1].data["assignee_id"] == cast.am1.id and seen[1].actor_id == cast.am1.id
    assert seen[1].entity == "task" and seen[1].entity_id == task.id
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "task")).one()
    assert event.action == "create" and "Call Carol" not in str(event.details) + event.summary


def test_create_without_assignee_emits_only_created(session: Session, cast: Any,
                                                    seen: list[events.Event]) -> None:
    tasks.create_task(session, cast.account1, _data(), user=cast.am1)
    assert [e.name for e in seen] == ["task.created"]


@pytest.mark.parametrize(("change", "field"), [
    ({"title": " "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "two\nlines"}, "title"),
    ({"due_on": "tomorrow"}, "due_on"),
    ({"due_on": date(1700, 1, 1)}, "due_on"),
    ({"assignee_id": "abc"}, "assignee_id"),
])
def test_bad_input_names_its_field(session: Session, cast: Any, change: dict[str, Any],
                                   field: str) -> None:
    with pytest.raises(tasks.TaskError) as caught:
        tasks.create_task(session, cast.account1, _data(**change), user=cast.am1)
    assert caught.value.field == field


def test_assignee_and_person_must_belong_to_the_account(session: Session, cast: Any) -> None:
    for bad in (cast.am2.id, cast.analyst.id, cast.leader.id, 999999):
        with pytest.raises(tasks.TaskError) as caught:
            tasks.create_task(session, cast.account1, _data(assignee_id=bad))
        assert caught.value.field == "assignee_id"
    # A team member and an admin may take it; a deactivated owner may not.
    member = make_user(session, "account_manager", email="m@example.com")
    session.add(AccountMember(account_id=cast.account1.id, user_id=member.id))
    session.flush()
    assert tasks.create_task(session, cast.account1, _data(assignee_id=member.id)).assignee_id
    assert tasks.create_task(session, cast.account1, _data(assignee_id=cast.admin.id))
    cast.am1.active = False
    session.add(cast.am1)
    with pytest.raises(tasks.TaskError):
        tasks.create_task(session, cast.account1, _data(assignee_id=cast.am1.id))
    for person in (cast.stakeholder2.id, 999999):
        with pytest.raises(tasks.TaskError) as caught:
            tasks.create_task(session, cast.account1, _data(stakeholder_id=person))
        assert caught.value.field == "stakeholder_id"
    gone = make_stakeholder(session, cast.account1, "Erased Person")
    gone.erased_at = gone.created_at
    with pytest.raises(tasks.TaskError):
        tasks.create_task(session, cast.account1, _data(stakeholder_id=gone.id))


def test_update_checks_the_version_and_emits_a_new_assignee(
        session: Session, cast: Any, seen: list[events.Event]) -> None:
    task = make_task(session, cast.account1, assignee=cast.am1)
    session.commit()
    diff = tasks.update_task(session, task, _data(title="Call Carol now",
                                                  assignee_id=cast.admin.id),
                             expected_version=1, user=cast.am1)
    session.commit()
    assert diff["assignee_id"] == [cast.am1.id, cast.admin.id] and task.version == 2
    assert [e.name for e in seen] == ["task.assigned"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.details["title"] == ["…", "…"]
    with pytest.raises(StaleEditError):
        tasks.update_task(session, task, _data(), expected_version=1, user=cast.am1)


def test_status_changes(session: Session, cast: Any, seen: list[events.Event]) -> None:
    task = make_task(session, cast.account1, assignee=cast.am1)
    session.commit()
    tasks.complete_task(session, task, user=cast.am1)
    assert task.status == "done" and task.done_at is not None
    assert [e.name for e in seen] == ["task.done"]
    with pytest.raises(tasks.TaskError):
        tasks.complete_task(session, task)
    with pytest.raises(tasks.TaskError):
        tasks.dismiss_task(session, task, "No longer needed")
    tasks.reopen_task(session, task, user=cast.am1)
    assert task.status == "open" and task.done_at is None
    with pytest.raises(tasks.TaskError):
        tasks.reopen_task(session, task)
    with pytest.raises(tasks.TaskError) as caught:
        tasks.dismiss_task(session, task, "  ")
    assert caught.value.field == "reason"
    tasks.dismiss_task(session, task, "Customer asked us to wait", user=cast.am1)
    session.commit()
    assert (task.status, task.dismissed_reason) == ("dismissed", "Customer asked us to wait")
    dismissed = session.exec(select(AuditEvent).where(AuditEvent.action == "dismiss")).one()
    assert "wait" not in str(dismissed.details)


def test_comments(session: Session, cast: Any) -> None:
    task = make_task(session, cast.account1)
    comment = tasks.add_comment(session, task, "  Spoke to Carol  ", user=cast.am1)
    session.commit()
    assert comment.text == "Spoke to Carol" and comment.author_id == cast.am1.id
    assert [(c.text, name) for c, name in tasks.comments(session, task.id)] == [
        ("Spoke to Carol", "Alice Manager")]
    with pytest.raises(tasks.TaskError):
        tasks.add_comment(session, task, "")
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "task_comment")).one()
    assert "Carol" not in str(event.details) + event.summary


def test_bulk_actions(session: Session, cast: Any, seen: list[events.Event]) -> None:
    first = make_task(session, cast.account1, "One", assignee=cast.am1)
    second = make_task(session, cast.account1, "Two", assignee=None)
    done = make_task(session, cast.account1, "Three", status="done")
    session.commit()
    ids = [first.id, second.id, done.id]
    assert tasks.bulk_reassign(session, ids, cast.admin.id, user=cast.am1) == 3
    assert [e.name for e in seen] == ["task.assigned"] * 3
    assert tasks.bulk_reassign(session, ids, cast.admin.id, user=cast.am1) == 0
    with pytest.raises(tasks.TaskError):
        tasks.bulk_reassign(session, ids, cast.am2.id, user=cast.am1)
    with pytest.raises(tasks.TaskError):
        tasks.bulk_reassign(session, ids, None, user=cast.am1)
    assert tasks.bulk_set_due(session, ids, date(2027, 1, 5), user=cast.am1) == 3
    assert tasks.bulk_set_due(session, ids, date(2027, 1, 5), user=cast.am1) == 0
    seen.clear()
    assert tasks.bulk_complete(session, ids, user=cast.am1) == 2  # the done one stays
    assert [e.name for e in seen] == ["task.done", "task.done"]
    session.commit()
    assert {first.status, second.status} == {"done"} and first.version == 4
    assert session.exec(select(TaskComment)).all() == []


def test_erasing_a_person_takes_their_name_out_of_tasks(session: Session, cast: Any) -> None:
    from valuetracker.personal_data import erase_stakeholder

    nina = make_stakeholder(session, cast.account1, "Nina Costa")
    task = make_task(session, cast.account1, "Find and map the successor of Nina Costa",
                     stakeholder=nina)
    other = make_task(session, cast.account2, "Ask Nina Costa at Globex")  # another person
    tasks.add_comment(session, task, "Nina Costa left for a competitor")
    session.commit()
    erase_stakeholder(session, nina)
    session.commit()
    session.expire_all()
    assert "Nina" not in session.get(type(task), task.id).title
    assert session.get(type(task), task.id).version == 2
    assert "Nina" not in session.exec(select(TaskComment.text)).one()
    assert session.get(type(other), other.id).title == "Ask Nina Costa at Globex"
