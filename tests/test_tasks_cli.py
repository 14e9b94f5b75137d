"""`valuetracker tasks list`: every account's tasks (the command line sees them all),
filtered by assignee, account and status, as a table or JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from .factories import make_signal, make_task


def _tasks(session: Session, cast: Any) -> dict[str, Any]:
    signal = make_signal(session, cast.account2, "deal_lost")
    made = {
        "call": make_task(session, cast.account1, "Call Carol", assignee=cast.am1,
                          due_on=date(2026, 12, 10)),
        "done": make_task(session, cast.account1, "Sent the deck", assignee=cast.am1,
                          status="done", done_at=datetime.now(UTC), due_on=None),
        "play": make_task(session, cast.account2, "Debrief the lost deal", assignee=cast.am2,
                          source="play", play="debrief_lost_deal", signal_id=signal.id,
                          due_on=date(2026, 12, 9)),
        "nobody": make_task(session, cast.account2, "Unassigned thing", due_on=None),
    }
    session.commit()
    return made


def test_json_lists_open_tasks_with_the_agreed_fields(session: Session, cast: Any,
                                                      runner: Any) -> None:
    made = _tasks(session, cast)
    result = runner.invoke(args=["tasks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows == [
        {"id": made["play"].id, "title": "Debrief the lost deal", "account": "globex",
         "assignee": "am2@example.com", "due": "2026-12-09", "status": "open",
         "source": "play"},
        {"id": made["call"].id, "title": "Call Carol", "account": "acme-corp",
         "assignee": "am1@example.com", "due": "2026-12-10", "status": "open",
         "source": "person"},
        {"id": made["nobody"].id, "title": "Unassigned thing", "account": "globex",
         "assignee": None, "due": None, "status": "open", "source": "person"},
    ]


def test_filters(session: Session, cast: Any, runner: Any) -> None:
    made = _tasks(session, cast)

    def ids(*args: str) -> list[int]:
        result = runner.invoke(args=["tasks", "list", "--format", "json", *args])
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.output)]

    assert ids("--assignee", "AM1@example.com") == [made["call"].id]
    assert ids("--account", "globex") == [made["play"].id, made["nobody"].id]
    assert ids("--status", "done") == [made["done"].id]
    assert sorted(ids("--status", "all")) == sorted(t.id for t in made.values())
    assert ids("--assignee", "am1@example.com", "--status", "all") == [
        made["call"].id, made["done"].id]


def test_table(session: Session, cast: Any, runner: Any) -> None:
    _tasks(session, cast)
    result = runner.invoke(args=["tasks", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["Id", "Due", "Status", "Account", "Assignee", "Source", "Task"]
    assert "2026-12-09" in lines[1] and "Debrief the lost deal" in lines[1]
    assert "—" in lines[3]  # no due date, nobody assigned
    result = runner.invoke(args=["tasks", "list", "--account", "acme-corp", "--status", "done",
                                 "--assignee", "am2@example.com"])
    assert result.exit_code == 0 and result.output.strip() == "No tasks."


def test_unknown_people_accounts_and_values_fail_clearly(session: Session, cast: Any,
                                                         runner: Any) -> None:
    result = runner.invoke(args=["tasks", "list", "--assignee", "nobody@example.com"])
    assert result.exit_code != 0 and "No user has the e-mail address" in result.output
    result = runner.invoke(args=["tasks", "list", "--account", "no-such"])
    assert result.exit_code != 0 and "No account has the slug no-such" in result.output
    result = runner.invoke(args=["tasks", "list", "--status", "dismissed"])
    assert result.exit_code != 0 and "Invalid value" in result.output
