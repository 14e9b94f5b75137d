"""Plays: rules that turn a kind of signal into a task with defaults.

A play names the signal kind it answers, how its task is titled (naming the person or
object the signal concerns), when it is due, and whether the task is done by itself
when the signal clears. Its task goes to the account's owner. `run_plays` is called by
the signal refresh with the signals it opened and closed: it makes each play's task
once per signal occurrence (the unique `(signal_id, play)` of a task, so a re-run adds
nothing), and marks the open tasks of closed signals done with a note.

docs/tasks.md lists the plays; a new play is one `Play(...)` in `PLAYS` below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, events
from ..models import Account, Deal, Signal, Stakeholder, Task, User, ValueCommitment, ValueEntry
from ..models.base import utcnow
from .writes import complete_tasks, task_event

CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Context:
    """What a play's title may name: the signal, its account, the person it concerns
    and the title of the object that caused it."""

    signal: Signal
    account: Account
    person: str | None
    subject: str | None

    @property
    def who(self) -> str:
        return self.person or "the key stakeholder"

    def what(self, fallback: str) -> str:
        return f"“{self.subject}”" if self.subject else fallback


@dataclass(frozen=True)
class Play:
    """A kind of signal -> a task: `title(context)`, due `due_days` after the play made
    it, about the signal's person (if any), for the account's owner. With
    `closes`, the task is marked done (with `close_note`) when the signal clears."""

    key: str
    kind: str
    name: str
    title: Callable[[Context], str]
    due_days: int
    closes: bool = True
    close_note: str = "Done by itself: the signal that raised this task has cleared."


PLAY_LIST: tuple[Play, ...] = (
    Play("map_successor", "key_stakeholder_left", "Map the successor of who left",
         lambda c: f"Find and map the successor of {c.who}", 14,
         close_note="Done by itself: a successor is mapped (or the person is back)."),
    Play("win_back_detractor", "key_detractor", "Win back a detractor",
         lambda c: f"Call {c.who} to hear what went wrong and agree a fix", 7,
         close_note="Done by itself: their latest answer is no longer a detractor's."),
    Play("secure_loyalty", "satisfied_not_loyal", "Turn satisfaction into loyalty",
         lambda c: f"Ask {c.who} what would make them definitely buy again", 21),
    Play("resolve_dispute", "value_disputed", "Resolve a value dispute",
         lambda c: (f"Resolve the dispute with {c.who} about {c.what('the disputed value')}"
                    if c.person else
                    f"Resolve the dispute about {c.what('the disputed value')}"), 7,
         close_note="Done by itself: the value is no longer disputed."),
    Play("log_recent_value", "no_recent_value", "Log the value delivered",
         lambda c: f"Log the value delivered to {c.account.name} lately", 14),
    Play("confirm_value", "low_confirmed_share", "Get this year's value confirmed",
         lambda c: f"Ask {c.account.name} to confirm this year's value", 21),
    Play("recover_commitment", "commitment_overdue", "Deliver or re-plan a commitment",
         lambda c: f"Deliver or re-plan the overdue commitment {c.what('')}".rstrip(), 7,
         close_note="Done by itself: the commitment is no longer overdue."),
    Play("plan_renewal_review", "renewal_at_risk", "Plan the renewal review",
         lambda c: "Plan the renewal review" + (
             f" (renewal on {c.account.renewal_date.isoformat()})"
             if c.account.renewal_date else ""), 14),
    Play("multi_thread", "single_threaded", "Widen the relationship",
         lambda c: f"Meet a second contact at {c.account.name}", 30),
    Play("find_economic_buyer", "no_economic_buyer", "Find the economic buyer",
         lambda c: f"Find and meet the economic buyer at {c.account.name}", 30),
    Play("review_nps_drop", "nps_drop", "Review an NPS drop",
         lambda c: f"Review why NPS fell at {c.account.name} and plan a response", 14),
    Play("reconnect", "key_not_contacted", "Get back in touch",
         lambda c: f"Get in touch with {c.who}", 7,
         close_note="Done by itself: they were contacted."),
    Play("debrief_lost_deal", "deal_lost", "Debrief a lost deal",
         lambda c: f"Debrief the lost deal {c.what('')} with the account team".replace(
             "  ", " "), 7, closes=False),
    Play("follow_up_link", "link_unanswered", "Follow up an unanswered link",
         lambda c: f"Follow up with {c.who} on the unanswered link", 3,
         close_note="Done by itself: the link was answered, withdrawn or expired."),
)
PLAYS: dict[str, Play] = {play.key: play for play in PLAY_LIST}


def plays_for(kind: str) -> list[Play]:
    """The plays that answer a kind of signal."""
    return [play for play in PLAY_LIST if play.kind == kind]


@dataclass
class PlayRun:
    """What one run of the plays did: the tasks it made and those it closed."""

    created: list[Task] = field(default_factory=list)
    closed: list[Task] = field(default_factory=list)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


# Where the title of a signal's object comes from, by its subject type.
_SUBJECTS: dict[str, tuple[Any, Any]] = {
    "value_entry": (ValueEntry.id, ValueEntry.title),
    "commitment": (ValueCommitment.id, ValueCommitment.title),
    "deal": (Deal.id, Deal.name),
}


def _subjects(session: Session, signals: list[Signal]) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    for subject_type, (id_col, title_col) in _SUBJECTS.items():
        ids = sorted({s.subject_id for s in signals
                      if s.subject_type == subject_type and s.subject_id is not None})
        for chunk in _chunks(ids):
            for row_id, title in session.exec(select(id_col, title_col)
                                              .where(id_col.in_(chunk))).all():
                found[(subject_type, row_id)] = title
    return found


def _by_id(session: Session, model: Any, columns: Sequence[Any], ids: Iterable[int],
           *where: Any) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in session.exec(select(model.id, *columns).where(model.id.in_(chunk), *where)
                                ).all():
            found[row[0]] = row
    return found


def run_plays(session: Session, *, opened: Iterable[Signal] = (),
              closed: Iterable[Signal] = (), user: User | None = None,
              today: date | None = None) -> PlayRun:
    """Make the plays' tasks for the `opened` signals (once per signal and play: one
    already made is not made again) and mark done the open tasks of the `closed` signals
    whose play closes them. A task is due the play's number of days after `today` (the
    day the play runs: a signal that began long ago still gets time to act on). Each task
    is recorded and emitted as `create_task` and `complete_task` do. Does not commit."""
    run = PlayRun()
    signals = [s for s in opened if s.id is not None and plays_for(s.kind)]
    if signals:
        run.created = _open_tasks(session, signals, user=user, today=today or date.today())
    closed_ids = sorted({s.id for s in closed if s.id is not None})
    closing = {play.key: play for play in PLAY_LIST if play.closes}
    for chunk in _chunks(closed_ids):
        run.closed.extend(session.exec(select(Task).where(
            Task.signal_id.in_(chunk), Task.status == "open",
            Task.play.in_(sorted(closing))).order_by(Task.id)).all())
    complete_tasks(session, run.closed, user=user,
                   notes={task.id or 0: closing[task.play or ""].close_note
                          for task in run.closed})
    return run


def _open_tasks(session: Session, signals: list[Signal], *, user: User | None,
                today: date) -> list[Task]:
    made: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted({s.id for s in signals})):
        made.update((r[0], r[1]) for r in session.exec(
            select(Task.signal_id, Task.play).where(Task.signal_id.in_(chunk))).all())
    accounts = {a.id: a for chunk in _chunks(sorted({s.account_id for s in signals}))
                for a in session.exec(select(Account).where(Account.id.in_(chunk))).all()}
    people = _by_id(session, Stakeholder, [Stakeholder.name],
                    (s.stakeholder_id for s in signals if s.stakeholder_id),
                    Stakeholder.erased_at.is_(None))
    active_owners = _by_id(session, User, [User.name],
                           (a.owner_id for a in accounts.values() if a.owner_id),
                           User.active.is_(True))
    subjects = _subjects(session, signals)
    rows: list[dict[str, Any]] = []
    for signal in sorted(signals, key=lambda s: s.id or 0):
        account = accounts.get(signal.account_id)
        if account is None:
            continue
        person = people.get(signal.stakeholder_id or 0)
        context = Context(signal=signal, account=account,
                          person=person[1] if person else None,
                          subject=subjects.get((signal.subject_type or "",
                                                signal.subject_id or 0)))
        for play in plays_for(signal.kind):
            if (signal.id, play.key) in made:
                continue
            made.add((signal.id, play.key))
            rows.append({
                "account_id": account.id, "stakeholder_id": person[0] if person else None,
                "title": play.title(context)[:200],
                "due_on": today + timedelta(days=play.due_days),
                "assignee_id": account.owner_id if account.owner_id in active_owners else None,
                "status": "open", "source": "play", "signal_id": signal.id, "play": play.key,
                "created_by_id": user.id if user is not None else None,
                "created_at": utcnow(), "version": 1})
    if not rows:
        return []
    # One multi-row INSERT (the first refresh's plays make thousands), the rows read
    # back, then what `create_task` records and emits for each, in bulk.
    session.execute(sa.insert(Task), rows)
    tasks = _made(session, rows)
    audit.record_many(session, "create", "task", [
        (task.id, f"task #{task.id} on {accounts[task.account_id].name} created by the "
                  f"play {task.play}",
         {"source": "play", "play": task.play, "signal_id": task.signal_id,
          "assignee_id": task.assignee_id,
          "due_on": task.due_on.isoformat() if task.due_on else None})
        for task in tasks], user=user)
    batch = []
    for task in tasks:
        batch.append(task_event("task.created", task, user=user))
        if task.assignee_id is not None:
            batch.append(task_event("task.assigned", task, user=user))
    events.emit_many(session, batch)
    return tasks


def _made(session: Session, rows: list[dict[str, Any]]) -> list[Task]:
    """The tasks just inserted from `rows`, read back by their (signal, play), in order."""
    wanted = {(r["signal_id"], r["play"]) for r in rows}
    found: list[Task] = []
    for chunk in _chunks(sorted({r["signal_id"] for r in rows})):
        found.extend(t for t in session.exec(select(Task).where(Task.signal_id.in_(chunk)))
                     if (t.signal_id, t.play) in wanted)
    return sorted(found, key=lambda t: t.id or 0)


def signal_kinds_without_play(kinds: Iterable[str]) -> list[str]:
    """Of `kinds`, those no play answers (for the docs and a test)."""
    return sorted(k for k in kinds if not plays_for(k))


__all__ = ["PLAYS", "PLAY_LIST", "Context", "Play", "PlayRun", "plays_for", "run_plays",
           "signal_kinds_without_play"]
