"""The activity timeline: what the team logged, merged with what the system recorded.

Every kind of event comes from one *source*: a function registered with `@source` that
returns a SQL SELECT of the `columns` below (when, type, title and detail, the person
and the user concerned, the row's id) for a `Scope` (one account, or some people). The
timeline is the UNION ALL of the sources the viewer may see and the type filter asks
for, ordered by day and time and paged by the database (LIMIT/OFFSET through
`pagination.paginate`): events are never all loaded into Python.

A new kind of event (a task done) is one more function
here, or in its own area module, which imports `source` and `columns`:

    @source(kinds={"signal": "Signal raised or cleared"},
            link=lambda event, slug: url_for("signals.show", signal_id=event.ref_id))
    def signals(scope: Scope) -> Any:
        return (select(*columns(on=utc_day(Signal.since), at=Signal.since, kind="signal",
                                title=Signal.title, person=Signal.stakeholder_id,
                                ref=Signal.id))
                .where(scope.of_account(Signal.account_id),
                       scope.about(Signal.stakeholder_id)))

A source whose types are in `contact` also moves "last contacted" (`contact.py`): the
contact rule reads the same sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..access import reads_winloss_program
from ..db import in_ids
from ..models import (
    ACTIVITY_KINDS,
    CLOSED_OUTCOMES,
    CONTACT_KINDS,
    AccessLink,
    Activity,
    ActivityStakeholder,
    Deal,
    Distribution,
    LoyaltyPulse,
    Signal,
    Stakeholder,
    Task,
    User,
    ValueConfirmation,
    ValueEntry,
    ValueSummary,
    WinLossInterview,
)
from ..pagination import Page, paginate

# --- the SQL shape every source returns ---------------------------------------------


class utc_day(sa.sql.functions.FunctionElement):  # noqa: N801 - reads as a SQL function
    """SQL: the UTC calendar day of a timestamp column, whatever the server's time zone."""

    type = sa.Date()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day)
def _utc_day(element: utc_day, compiler: Any, **kw: Any) -> str:
    # SQLite keeps timestamps as UTC text (models.base.UTCDateTime).
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def _text(value: str) -> Any:
    return sa.cast(sa.literal(value), sa.String)


def columns(*, on: Any, at: Any, kind: Any, title: Any, ref: Any, detail: Any = None,
            person: Any = None, user: Any = None) -> list[Any]:
    """The columns of a source's SELECT, labelled and typed alike so the sources UNION:
    `on` the day (sort key), `at` a timestamp (order within the day), `kind` the type
    (a column, or a text for a source of one type), `title` and `detail` the text shown,
    `person` the stakeholder concerned (None: nobody in particular), `user` the team
    member, `ref` the id of the source's row (for its link)."""
    return [
        on.label("happened_on"),
        at.label("happened_at"),
        (_text(kind) if isinstance(kind, str) else kind).label("kind"),
        sa.cast(title, sa.Text).label("title"),
        sa.cast(detail if detail is not None else sa.null(), sa.Text).label("detail"),
        (person if person is not None else sa.cast(sa.null(), sa.Integer)).label("person_id"),
        (user if user is not None else sa.cast(sa.null(), sa.Integer)).label("user_id"),
        ref.label("ref_id"),
    ]


ACCOUNT_PARAM = "timeline_account_id"  # the bound parameter of a Scope's account


@dataclass(frozen=True)
class Scope:
    """Whose timeline: one account's (`account_id`), some people's (`stakeholder_ids`:
    a person's page, or the contact rule asking about several), or both. `user` is
    who looks (sources they may not see are left out); None is the system itself."""

    account_id: int | None = None
    stakeholder_ids: tuple[int, ...] | None = None
    user: Any = None

    @property
    def per_person(self) -> bool:
        return self.stakeholder_ids is not None

    def of_account(self, column: Any) -> Any:
        """SQL: the row belongs to the scope's account (any account when there is none).

        The account is one named parameter (`ACCOUNT_PARAM`) however many sources
        compare with it, so a statement built for one account serves another
        (`recent_events`)."""
        return sa.true() if self.account_id is None else \
            column == sa.bindparam(ACCOUNT_PARAM, self.account_id)

    def about(self, column: Any) -> Any:
        """SQL: the row concerns one of the scope's people (anyone on an account's)."""
        return sa.true() if self.stakeholder_ids is None else column.in_(self.stakeholder_ids)


# --- the registry -------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One line of a timeline, as the pages show it."""

    on: date
    at: datetime
    kind: str
    label: str
    title: str
    detail: str | None
    ref_id: int
    by: str | None  # the team member: author, recorder, owner, interviewer
    people: tuple[tuple[int, str], ...] = ()  # (stakeholder id, name)
    url: str | None = None

    @property
    def logged(self) -> bool:
        """Logged by the team (may be edited), rather than recorded by the system."""
        return self.kind in ACTIVITY_KINDS


Link = Callable[[Event, str], str | None]  # (event, account slug) -> URL
People = Callable[[Session, list[int]], Mapping[int, list[tuple[int, str]]]]


@dataclass(frozen=True)
class Source:
    """One kind of event: its SELECT, its types (key -> label), which of them are a
    contact with the person, its link, who may see it, and (for rows concerning
    several people) how to load them for a page of rows."""

    select: Callable[[Scope], Any]
    kinds: Mapping[str, str]
    contact: frozenset[str] = frozenset()
    link: Link | None = None
    visible: Callable[[Any], bool] | None = None
    people: People | None = None

    def shown_to(self, user: Any) -> bool:
        return user is None or self.visible is None or self.visible(user)


SOURCES: list[Source] = []


def source(*, kinds: Mapping[str, str], contact: Iterable[str] = (), link: Link | None = None,
           visible: Callable[[Any], bool] | None = None,
           people: People | None = None) -> Callable[[Callable[[Scope], Any]],
                                                     Callable[[Scope], Any]]:
    """Register a timeline source: `select(scope)` returns a SELECT of `columns(...)`
    (or None when the source has nothing for such a scope, e.g. a per-person page)."""

    def register(select_fn: Callable[[Scope], Any]) -> Callable[[Scope], Any]:
        SOURCES.append(Source(select_fn, dict(kinds), frozenset(contact), link, visible,
                              people))
        return select_fn

    return register


def kind_labels(user: Any = None) -> dict[str, str]:
    """Every type of event `user` may see (key -> label), for the type filter."""
    return {k: v for s in SOURCES if s.shown_to(user) for k, v in s.kinds.items()}


def contact_kinds() -> frozenset[str]:
    """The types of event that are a contact with the person they concern."""
    return frozenset(k for s in SOURCES for k in s.contact)


def merged(scope: Scope, kinds: Iterable[str] | None = None) -> Any:
    """The UNION ALL of the sources (those of `kinds`, when given) as a subquery, or
    None when no source has anything for the scope. `kinds` only skips whole sources:
    the caller filters the rows of a source with several types (`kind` column)."""
    wanted = None if kinds is None else set(kinds)
    selects = []
    for src in SOURCES:
        if not src.shown_to(scope.user) or (wanted is not None and not wanted & set(src.kinds)):
            continue
        query = src.select(scope)
        if query is not None:
            selects.append(query)
    if not selects:
        return None
    union = sa.union_all(*selects) if len(selects) > 1 else selects[0]
    return union.subquery("timeline")


def timeline_query(scope: Scope, kinds: Iterable[str] | None = None) -> Any:
    """The merged timeline, newest first, with the person's and the user's names; one
    query for `paginate`. None when there is nothing to show."""
    kinds = list(kinds) if kinds is not None else None
    sub = merged(scope, kinds)
    if sub is None:
        return None
    person, actor = aliased(Stakeholder), aliased(User)
    query = (select(sub.c.happened_on, sub.c.happened_at, sub.c.kind, sub.c.title,
                    sub.c.detail, sub.c.ref_id, sub.c.person_id,
                    person.name.label("person_name"), actor.name.label("user_name"))
             .select_from(sub)
             # An erased person's events stay (their figures count), unattributed:
             # erased people leave every list.
             .outerjoin(person, sa.and_(person.id == sub.c.person_id,
                                        person.erased_at.is_(None)))
             .outerjoin(actor, actor.id == sub.c.user_id)
             .order_by(sub.c.happened_on.desc(), sub.c.happened_at.desc(), sub.c.kind,
                       sub.c.ref_id.desc()))
    if kinds is not None:
        query = query.where(sub.c.kind.in_(kinds))
    return query


def timeline_page(session: Session, scope: Scope, *, slug: str,
                  kinds: Iterable[str] | None = None, number: int = 1,
                  size: int = 25) -> Page:
    """One page of `Event`s: a COUNT and a page query over the union, then one query per
    source that loads the people of its rows on this page (activities)."""
    query = timeline_query(scope, kinds)
    if query is None:
        return Page([], 1, 0, size)
    page = paginate(session, query, number=number, size=size)
    page.items = _events(session, page.items, slug)
    return page


# The statements of the account page's timeline panel, built once per set of sources
# shown and limit: building the UNION of every source and its cache key costs more CPU
# than running it. Only an account's own scope (no people) is kept: it differs between
# accounts by the one `ACCOUNT_PARAM`.
_RECENT: dict[tuple[Any, ...], Any] = {}


def recent_events(session: Session, scope: Scope, *, slug: str, limit: int = 5) -> list[Event]:
    """The newest `limit` events (the account and stakeholder pages' panels): no COUNT."""
    if scope.account_id is None or scope.per_person:
        query = timeline_query(scope)
        query = None if query is None else query.limit(limit)
    else:
        key = (tuple(i for i, src in enumerate(SOURCES) if src.shown_to(scope.user)), limit)
        if key not in _RECENT:
            built = timeline_query(scope)
            _RECENT[key] = None if built is None else built.limit(limit)
        query = _RECENT[key]
    if query is None:
        return []
    rows = session.exec(query, params={ACCOUNT_PARAM: scope.account_id}
                        if scope.account_id is not None else None).all()
    return _events(session, list(rows), slug)


def _events(session: Session, rows: list[Any], slug: str) -> list[Event]:
    by_kind = {k: s for s in SOURCES for k in s.kinds}
    people: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for src in {id(s): s for s in by_kind.values() if s.people}.values():
        ids = [row.ref_id for row in rows if row.kind in src.kinds]
        if ids:
            for ref_id, names in src.people(session, ids).items():
                for kind in src.kinds:
                    people[(kind, ref_id)] = names
    events = []
    for row in rows:
        src = by_kind[row.kind]
        if src.people:
            who = tuple(people.get((row.kind, row.ref_id), ()))
        else:
            who = ((row.person_id, row.person_name),) if row.person_name is not None else ()
        event = Event(on=row.happened_on, at=row.happened_at, kind=row.kind,
                      label=src.kinds[row.kind], title=row.title or "", detail=row.detail,
                      ref_id=row.ref_id, by=row.user_name, people=who)
        events.append(_with_url(event, src, slug))
    return events


def _with_url(event: Event, src: Source, slug: str) -> Event:
    if src.link is None:
        return event
    return replace(event, url=src.link(event, slug))


# --- the sources ----------------------------------------------------------------------


def _participants(session: Session, activity_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    from .log import participants

    return participants(session, activity_ids)


@source(kinds=ACTIVITY_KINDS, contact=CONTACT_KINDS, people=_participants)
def logged_activities(scope: Scope) -> Any:
    """Notes, calls, meetings and e-mails the team logged (one row per activity on an
    account's timeline; per person, one row per person it was with)."""
    person = ActivityStakeholder.stakeholder_id if scope.per_person else None
    query = select(*columns(on=Activity.occurred_on, at=Activity.created_at, kind=Activity.kind,
                            title=Activity.summary, detail=Activity.outcome, person=person,
                            user=Activity.user_id, ref=Activity.id))
    if scope.per_person:
        query = query.join(ActivityStakeholder,
                           ActivityStakeholder.activity_id == Activity.id).where(
            scope.about(ActivityStakeholder.stakeholder_id))
    return query.where(scope.of_account(Activity.account_id))


def _quoted(prefix: str, text: Any) -> Any:
    return _text(prefix + " “") + text + _text("”")


@source(kinds={"confirmation": "Value confirmed or disputed"}, contact={"confirmation"},
        link=lambda event, slug: url_for("value.log", slug=slug))
def value_answers(scope: Scope) -> Any:
    """A stakeholder confirmed, disputed or adjusted a value entry (through their link,
    or recorded by the team)."""
    title = sa.case(
        (ValueConfirmation.response == "confirmed", _quoted("Confirmed", ValueEntry.title)),
        (ValueConfirmation.response == "disputed", _quoted("Disputed", ValueEntry.title)),
        else_=_quoted("Adjusted the amount of", ValueEntry.title))
    return (select(*columns(on=utc_day(ValueConfirmation.responded_at),
                            at=ValueConfirmation.responded_at, kind="confirmation",
                            title=title, detail=ValueConfirmation.comment,
                            person=ValueConfirmation.stakeholder_id,
                            user=ValueConfirmation.recorded_by_id, ref=ValueConfirmation.id))
            .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
            .where(sa.true() if scope.account_id is None else in_ids(
                       ValueConfirmation.entry_id,
                       select(ValueEntry.id).where(scope.of_account(ValueEntry.account_id)),
                       scope.of_account(ValueEntry.account_id)),
                   scope.about(ValueConfirmation.stakeholder_id)))


@source(kinds={"pulse": "Pulse answered"}, contact={"pulse"},
        link=lambda event, slug: url_for("value.pulses", slug=slug))
def pulses(scope: Scope) -> Any:
    """A loyalty pulse answered (through a link, or taken by the team on a call)."""
    title = (_text("Loyalty pulse: satisfaction ")
             + sa.cast(LoyaltyPulse.satisfaction, sa.String) + _text(" of 5, recommend ")
             + sa.cast(LoyaltyPulse.recommend, sa.String) + _text(" of 10"))
    return (select(*columns(on=LoyaltyPulse.taken_on, at=LoyaltyPulse.created_at, kind="pulse",
                            title=title, detail=LoyaltyPulse.comment,
                            person=LoyaltyPulse.stakeholder_id,
                            user=LoyaltyPulse.recorded_by_id, ref=LoyaltyPulse.id))
            .where(scope.of_account(LoyaltyPulse.account_id),
                   scope.about(LoyaltyPulse.stakeholder_id)))


@source(kinds={"link": "Link answered"}, contact={"link"},
        link=lambda event, slug: url_for("value.overview", slug=slug) + "#links")
def links_answered(scope: Scope) -> Any:
    """A stakeholder answered a confirmation or pulse link. Buyer-survey links are the
    win/loss program's (they may be anonymous): the interview stands for them."""
    title = sa.case((AccessLink.purpose == "confirm_value",
                     _text("Answered the value confirmation link")),
                    else_=_text("Answered the loyalty pulse link"))
    return (select(*columns(on=utc_day(AccessLink.used_at), at=AccessLink.used_at,
                            kind="link", title=title, person=AccessLink.stakeholder_id,
                            ref=AccessLink.id))
            .where(AccessLink.used_at.is_not(None),
                   AccessLink.purpose.in_(("confirm_value", "pulse")),
                   scope.of_account(AccessLink.account_id),
                   scope.about(AccessLink.stakeholder_id)))


@source(kinds={"summary": "Summary sent"},
        link=lambda event, slug: url_for("summaries.account", slug=slug))
def summaries_sent(scope: Scope) -> Any:
    """A quarterly value summary was sent to the stakeholder."""
    title = _text("Value summary ") + ValueSummary.quarter + _text(" sent")
    return (select(*columns(on=utc_day(Distribution.sent_at), at=Distribution.sent_at,
                            kind="summary", title=title, person=ValueSummary.stakeholder_id,
                            ref=Distribution.id))
            .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
            .where(Distribution.status == "sent", Distribution.sent_at.is_not(None),
                   scope.of_account(ValueSummary.account_id),
                   scope.about(ValueSummary.stakeholder_id)))


@source(kinds={"deal": "Deal closed"},
        link=lambda event, slug: url_for("winloss.deal", deal_id=event.ref_id))
def deals_closed(scope: Scope) -> Any:
    """A deal of the account was won, lost or closed without a decision (account
    timelines only: a deal concerns no one person)."""
    if scope.per_person:
        return None
    title = sa.case((Deal.outcome == "won", _text("Deal won: ") + Deal.name),
                    (Deal.outcome == "lost", _text("Deal lost: ") + Deal.name),
                    else_=_text("Deal closed without a decision: ") + Deal.name)
    return (select(*columns(on=Deal.closed_on, at=Deal.updated_at, kind="deal", title=title,
                            user=Deal.owner_id, ref=Deal.id))
            .where(Deal.outcome.in_(CLOSED_OUTCOMES), Deal.closed_on.is_not(None),
                   scope.of_account(Deal.account_id)))


@source(kinds={"interview": "Interview completed"}, visible=reads_winloss_program,
        link=lambda event, slug: url_for("winloss.interview", interview_id=event.ref_id))
def interviews_completed(scope: Scope) -> Any:
    """A win/loss interview was completed: only for those who read the program, and
    the interviewee is named only when the interview is (never on the person's page
    of an anonymized or blind one)."""
    named = WinLossInterview.anonymity == "named"
    person = sa.case((named, WinLossInterview.stakeholder_id), else_=sa.null())
    query = (select(*columns(on=utc_day(WinLossInterview.completed_at),
                             at=WinLossInterview.completed_at, kind="interview",
                             title=_text("Win/loss interview completed: ") + Deal.name,
                             person=person, user=WinLossInterview.interviewer_id,
                             ref=WinLossInterview.id))
             .join(Deal, Deal.id == WinLossInterview.deal_id)
             .where(WinLossInterview.status == "completed",
                    WinLossInterview.completed_at.is_not(None),
                    scope.of_account(Deal.account_id)))
    if scope.per_person:
        query = query.where(named, scope.about(WinLossInterview.stakeholder_id))
    return query


@source(kinds={"task": "Task done"},
        link=lambda event, slug: url_for("tasks.show", task_id=event.ref_id))
def tasks_done(scope: Scope) -> Any:
    """A task on the account was marked done (by its assignee, a colleague, or by its
    play when the signal behind it cleared); on a person's timeline, the tasks about
    them."""
    return (select(*columns(on=utc_day(Task.done_at), at=Task.done_at, kind="task",
                            title=_text("Task done: ") + Task.title,
                            person=Task.stakeholder_id, user=Task.assignee_id, ref=Task.id))
            .where(Task.status == "done", Task.done_at.is_not(None),
                   scope.of_account(Task.account_id), scope.about(Task.stakeholder_id)))


def _signal_events(scope: Scope, at: Any, kind: str, prefix: str) -> Any:
    """The signals of the scope as events at the time `at` (opened or cleared)."""
    return (select(*columns(on=utc_day(at), at=at, kind=kind,
                            title=_text(prefix) + Signal.message,
                            person=Signal.stakeholder_id, ref=Signal.id))
            .where(at.is_not(None), scope.of_account(Signal.account_id),
                   scope.about(Signal.stakeholder_id)))


@source(kinds={"signal_raised": "Signal raised"},
        link=lambda event, slug: url_for("accounts.show", slug=slug) + "#health")
def signals_raised(scope: Scope) -> Any:
    """A signal opened about the account or the person (valuetracker/signals)."""
    return _signal_events(scope, Signal.opened_at, "signal_raised", "Signal raised: ")


@source(kinds={"signal_cleared": "Signal cleared"},
        link=lambda event, slug: url_for("accounts.show", slug=slug) + "#health")
def signals_cleared(scope: Scope) -> Any:
    """A signal that no longer holds was cleared (kept in its history)."""
    return _signal_events(scope, Signal.cleared_at, "signal_cleared", "Signal cleared: ")


__all__ = ["Event", "SOURCES", "Scope", "Source", "columns", "contact_kinds", "kind_labels",
           "merged", "recent_events", "source", "timeline_page", "timeline_query", "utc_day"]
