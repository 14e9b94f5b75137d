"""What each event tells whom, by which channel unless the user chose otherwise.

`RULES` holds, per event: the default of each channel (in the app, an immediate
e-mail, the digest), the condition an immediate e-mail also needs (a pulse answered
as a detractor, a *key* stakeholder who left), who hears of it (the account's team,
or a task's assignee), and the text and link of its notification. A user's
`NotificationPreference` rows override the defaults, event by event and channel by
channel; the actor of an event never hears of their own action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlmodel import Session, select

from ..events import Event
from ..models import Account, AccountMember, NotificationPreference, Stakeholder, Task, User

CHUNK = 500  # ids per IN (...) list
TEAM = "team"  # the account's owner and team members
ASSIGNEE = "assignee"  # the task's assignee


@dataclass(frozen=True)
class Rule:
    """How one event is told: channel defaults, the immediate e-mail's extra condition
    (`email_when`, described by `email_note`), and who hears of it."""

    label: str
    in_app: bool = True
    email: bool = False
    digest: bool = False  # the event has a digest section, on by default
    email_when: Callable[[Event], bool] | None = None
    email_note: str = ""
    audience: str = TEAM

    def default(self, channel: str) -> bool:
        return bool(getattr(self, channel))


def _detractor(event: Event) -> bool:
    return event.data.get("nps_group") == "detractor"


def _key_person(event: Event) -> bool:
    return bool(event.data.get("is_key"))


RULES: dict[str, Rule] = {
    "value.disputed": Rule("A customer disputed a value entry", email=True),
    "value.adjusted": Rule("A customer corrected the amount of a value entry", email=True),
    "value.confirmed": Rule("A customer confirmed a value entry", digest=True),
    "pulse.answered": Rule("A stakeholder answered a loyalty pulse", email=True, digest=True,
                           email_when=_detractor, email_note="detractors' answers"),
    "stakeholder.left": Rule("A stakeholder left the company", email=True,
                             email_when=_key_person, email_note="key stakeholders"),
    "stakeholder.opted_out": Rule("A stakeholder opted out of our e-mail"),
    "deal.closed": Rule("A deal closed"),
    "interview.completed": Rule("A win/loss interview was completed", digest=True),
    "summary.sent": Rule("A value summary was sent"),
    "signal.opened": Rule("A new signal on my account", digest=True),
    "signal.closed": Rule("A signal on my account cleared", digest=True),
    "task.created": Rule("A task was added on my account"),
    "task.assigned": Rule("A task was assigned to me", email=True, digest=True,
                          audience=ASSIGNEE),
    "task.done": Rule("A task on my account was done"),
}
# The channels each event offers on the preferences page: the digest only where the
# digest has a section for it (signals, tasks due, answers).
CHANNELS_OF: dict[str, tuple[str, ...]] = {
    name: ("in_app", "email", "digest") if rule.digest else ("in_app", "email")
    for name, rule in RULES.items()
}


def preferences(session: Session, user_ids: Iterable[int],
                events: Iterable[str] | None = None) -> dict[tuple[int, str, str], bool]:
    """The users' stored choices, (user, event, channel) -> on, in one query."""
    ids = list(user_ids)
    if not ids:
        return {}
    query = select(NotificationPreference).where(NotificationPreference.user_id.in_(ids))
    if events is not None:
        query = query.where(NotificationPreference.event.in_(list(events)))
    return {(p.user_id, p.event, p.channel): p.enabled for p in session.exec(query)}


def wants(prefs: dict[tuple[int, str, str], bool], user_id: int, event: str,
          channel: str) -> bool:
    """Does the user want `event` by `channel`: their choice, else the default."""
    rule = RULES[event]
    if channel not in CHANNELS_OF[event]:
        return False
    return prefs.get((user_id, event, channel), rule.default(channel))


def recipients(session: Session, event: Event) -> list[User]:
    """Who hears of the event (active users; never its actor): the account's owner and
    team, or for a task's assignment its assignee."""
    return recipients_of(session, [event])[0]


def recipients_of(session: Session, batch: Sequence[Event]) -> list[list[User]]:
    """`recipients` of each event of `batch`, in order, in two queries whatever its
    length: the teams of the events' accounts, then those users (active ones)."""
    teams: dict[int, set[int]] = {}
    account_ids = sorted({e.account_id for e in batch if e.account_id is not None
                          and RULES[e.name].audience != ASSIGNEE})
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start:start + CHUNK]
        owners = select(Account.id, Account.owner_id).where(
            Account.id.in_(chunk), Account.owner_id.is_not(None))
        members = select(AccountMember.account_id, AccountMember.user_id).where(
            AccountMember.account_id.in_(chunk))
        for account_id, user_id in session.execute(sa.union(owners, members)).all():
            teams.setdefault(account_id, set()).add(user_id)
    wanted: list[set[int]] = []
    for event in batch:
        if RULES[event.name].audience == ASSIGNEE:
            ids = {event.data.get("assignee_id")} - {None}
        elif event.account_id is None:
            ids = set()
        else:
            ids = set(teams.get(event.account_id, ()))
        ids.discard(event.actor_id)
        wanted.append(ids)
    everyone = sorted(set().union(*wanted)) if wanted else []
    users: dict[int, User] = {}
    for start in range(0, len(everyone), CHUNK):
        users.update((u.id, u) for u in session.exec(
            select(User).where(User.id.in_(everyone[start:start + CHUNK]), User.active)))
    return [[users[i] for i in sorted(ids) if i in users] for ids in wanted]


# -- what a notification says and where it leads ---------------------------------------


def app_path(endpoint: str, **values: Any) -> str:
    """The path of a page inside the app, outside any request too (a worker's event).
    Without an app at all (a write function called bare, as in some tests) there is
    no URL map: "" (the notifications page then links to itself)."""
    if not has_app_context() or endpoint not in current_app.view_functions:
        return ""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def _clip(text: Any, limit: int = 200) -> str:
    """A customer's words on one line, cut at a word before `limit` characters."""
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[:limit].rsplit(" ", 1)[0] + "…"


def _quoted(text: Any) -> str:
    return f"“{text}”" if text else "a value entry"


def describe(session: Session, event: Event) -> tuple[str, str]:
    """The notification's text and the path of the object it is about."""
    account = session.get(Account, event.account_id) if event.account_id else None
    at = f" at {account.name}" if account is not None else ""
    data = event.data
    slug = account.slug if account is not None else None
    home = app_path("accounts.show", slug=slug) if slug else app_path("accounts.index")

    def person(key: str = "stakeholder_id") -> str:
        if data.get("stakeholder"):
            return str(data["stakeholder"])
        row = session.get(Stakeholder, data[key]) if data.get(key) else None
        return row.name if row is not None else "A stakeholder"

    name = event.name
    if name in ("value.confirmed", "value.disputed", "value.adjusted"):
        url = app_path("value.log", slug=slug) if slug else home
        if name == "value.confirmed":
            return f"{person()} confirmed {_quoted(data.get('title'))}{at}.", url
        if name == "value.disputed":
            said = f": “{_clip(data['comment'])}”" if data.get("comment") else "."
            return f"{person()} disputed {_quoted(data.get('title'))}{at}{said}", url
        return (f"{person()} corrected the amount of {_quoted(data.get('title'))}{at} "
                f"to {data.get('amount')}."), url
    if name == "pulse.answered":
        group = data.get("nps_group") or ""
        return (f"{person()} answered a loyalty pulse{at}: would recommend us "
                f"{data.get('recommend')}/10 ({group})."), (
            app_path("value.pulses", slug=slug) if slug else home)
    if name in ("stakeholder.left", "stakeholder.opted_out"):
        url = app_path("stakeholders.show", stakeholder_id=event.entity_id) \
            if event.entity_id else home
        who = str(data.get("name") or "A stakeholder")
        if name == "stakeholder.opted_out":
            return f"{who} opted out of our e-mail{at}.", url
        role = str(data.get("buying_role") or "").replace("_", " ")
        what = ", ".join(x for x in ("key stakeholder" if data.get("is_key") else "",
                                     "" if role == "other" else role) if x)
        where = account.name if account is not None else "the company"
        return f"{who}{f' ({what})' if what else ''} left {where}.", url
    if name == "deal.closed":
        return (f"Deal {_quoted(data.get('name'))}{at} closed: "
                f"{str(data.get('outcome') or '').replace('_', ' ')}."), (
            app_path("winloss.deal", deal_id=event.entity_id) if event.entity_id else home)
    if name == "interview.completed":
        return (f"The win/loss interview for {_quoted(data.get('deal'))}{at} was completed."), (
            app_path("winloss.interview", interview_id=event.entity_id)
            if event.entity_id else home)
    if name == "summary.sent":
        return (f"The {data.get('quarter')} value summary was sent to "
                f"{person()}{at}."), (
            app_path("summaries.account", slug=slug) if slug else home)
    if name in ("signal.opened", "signal.closed"):
        message = str(data.get("message") or data.get("kind") or "a signal")
        verb = "New signal" if name == "signal.opened" else "Signal cleared"
        return f"{verb}{at}: {message}", home
    if name.startswith("task."):
        task_id = data.get("task_id") or event.entity_id
        task = session.get(Task, task_id) if task_id else None
        title = _quoted(task.title if task is not None else data.get("title"))
        url = (app_path("tasks.show", task_id=task_id) if task_id else "") or home
        due = f", due {data['due_on']}" if data.get("due_on") else ""
        if name == "task.assigned":
            return f"Task {title}{at} was assigned to you{due}.", url
        if name == "task.done":
            return f"Task {title}{at} was done.", url
        return f"New task {title}{at}{due}.", url
    return f"{name}{at}", home
