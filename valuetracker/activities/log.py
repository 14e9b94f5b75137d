"""Logging the team's notes, calls, meetings and e-mails: the write functions.

`log_activity`, `update_activity` and `delete_activity` check their input (raising
`ActivityError`, which names the refused field), record their audit event and keep the
people's "last contacted" (`contact.refresh_last_contacted`); they never commit. The
web form calls them, and so can the API and the CLI: they take plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit
from ..db import check_version
from ..forms import clean_form_data
from ..models import (
    ACTIVITY_KINDS,
    CONTACT_KINDS,
    Account,
    Activity,
    ActivityStakeholder,
    Stakeholder,
    User,
)
from ..validation import FieldError, field_date
from .contact import refresh_last_contacted

ACTIVITY_FIELDS = ("kind", "occurred_on", "summary", "outcome")
TEXT_MAX = 5000  # summary and outcome, like other long texts


class ActivityError(FieldError):
    """Why an activity was refused (`field`, `message`); nothing was written."""


def clean_activity_data(data: Mapping[str, Any], *, today: date | None = None
                        ) -> dict[str, Any]:
    """The activity's fields from `data`, trimmed and checked (ActivityError)."""
    values = clean_form_data(data, ACTIVITY_FIELDS)
    if values.get("kind") not in ACTIVITY_KINDS:
        raise ActivityError("kind", "Choose a note, call, meeting or e-mail.")
    day = field_date(values.get("occurred_on"), "occurred_on",
                     "Enter the date it happened (YYYY-MM-DD).", error=ActivityError)
    if day > (today or date.today()):
        raise ActivityError("occurred_on", "Log what has happened: the date cannot be in "
                                           "the future.")
    if not values.get("summary"):
        raise ActivityError("summary", "Say what it was about.")
    for name in ("summary", "outcome"):
        if values.get(name) and len(values[name]) > TEXT_MAX:
            raise ActivityError(name, f"Keep it under {TEXT_MAX} characters.")
    return values


def _checked_people(session: Session, account_id: int, kind: str,
                    stakeholder_ids: Iterable[Any]) -> list[int]:
    """The ids, if every one is a (not erased) stakeholder of the account; a call,
    meeting or e-mail needs at least one person."""
    try:
        ids = sorted({int(i) for i in stakeholder_ids})
    except (TypeError, ValueError):
        raise ActivityError("stakeholder_ids", "Choose people at this account.") from None
    if ids:
        found = set(session.exec(select(Stakeholder.id).where(
            Stakeholder.id.in_(ids), Stakeholder.account_id == account_id,
            Stakeholder.erased_at.is_(None))).all())
        if found != set(ids):
            raise ActivityError("stakeholder_ids", "Choose people at this account.")
    if not ids and kind in CONTACT_KINDS:
        raise ActivityError("stakeholder_ids",
                            f"Choose who the {ACTIVITY_KINDS[kind].lower()} was with.")
    return ids


def participant_ids(session: Session, activity_id: int) -> list[int]:
    """The ids of the people an activity was with."""
    return sorted(session.exec(select(ActivityStakeholder.stakeholder_id).where(
        ActivityStakeholder.activity_id == activity_id)).all())


def participants(session: Session, activity_ids: list[int]
                 ) -> dict[int, list[tuple[int, str]]]:
    """{activity id: [(stakeholder id, name)]} for a page of activities, one query."""
    if not activity_ids:
        return {}
    rows = session.exec(
        select(ActivityStakeholder.activity_id, Stakeholder.id, Stakeholder.name)
        .join(Stakeholder, Stakeholder.id == ActivityStakeholder.stakeholder_id)
        .where(ActivityStakeholder.activity_id.in_(activity_ids))
        .order_by(sa.func.lower(Stakeholder.name), Stakeholder.id)).all()
    found: dict[int, list[tuple[int, str]]] = {}
    for activity_id, person_id, name in rows:
        found.setdefault(activity_id, []).append((person_id, name))
    return found


def _set_people(session: Session, activity: Activity, ids: list[int]) -> None:
    session.execute(sa.delete(ActivityStakeholder).where(
        ActivityStakeholder.activity_id == activity.id))
    for stakeholder_id in ids:
        session.add(ActivityStakeholder(activity_id=activity.id, stakeholder_id=stakeholder_id))


def _described(activity: Activity, account_name: str) -> str:
    # No names and no text: the summary may name people, and erasure must find nothing
    # of them in the trail (personal_data.py).
    return (f"{ACTIVITY_KINDS.get(activity.kind, activity.kind).lower()} of "
            f"{activity.occurred_on.isoformat()} on {account_name}")


def _texts_redacted(diff: dict[str, list[Any]]) -> dict[str, Any]:
    """Audit that the summary or outcome changed, not their text (they may name people)."""
    return {key: (["…", "…"] if key in ("summary", "outcome") else value)
            for key, value in diff.items()}


def log_activity(session: Session, account: Account, data: Mapping[str, Any], *,
                 stakeholder_ids: Iterable[Any] = (), user: User | None = None,
                 today: date | None = None) -> Activity:
    """Log a note, call, meeting or e-mail on `account` with some of its people; `user`
    is its author. `data` has kind, occurred_on (a date, not after `today`), summary
    and outcome. Raises ActivityError. Records "create activity" and moves the
    people's last contacted. Does not commit.
    """
    values = clean_activity_data(data, today=today)
    people = _checked_people(session, account.id, values["kind"], stakeholder_ids)
    activity = Activity(account_id=account.id, user_id=user.id if user is not None else None,
                        **values)
    session.add(activity)
    session.flush()
    _set_people(session, activity, people)
    audit.record(session, "create", "activity", activity.id,
                 f"{_described(activity, account.name)} logged",
                 details={"kind": activity.kind, "occurred_on": activity.occurred_on.isoformat(),
                          "with": people}, user=user)
    refresh_last_contacted(session, people)
    return activity


def update_activity(session: Session, activity: Activity, data: Mapping[str, Any], *,
                    expected_version: Any, stakeholder_ids: Iterable[Any] = (),
                    user: User | None = None, today: date | None = None
                    ) -> dict[str, list[Any]]:
    """Save an edited activity; `stakeholder_ids` replaces who it was with.

    Raises ActivityError, or `db.StaleEditError` (nothing changed) when someone saved it
    since the form was loaded at `expected_version`. Records "update activity" (that
    the texts changed, not their words); refreshes last contacted of everyone it was or
    is now with. Returns the changes. Does not commit.
    """
    values = clean_activity_data(data, today=today)
    people = _checked_people(session, activity.account_id, values["kind"], stakeholder_ids)
    check_version(session, activity, expected_version)
    before = participant_ids(session, activity.id)
    extra = {"with": [before, people]} if before != people else None
    account = session.get(Account, activity.account_id)
    diff = audit.apply_changes(
        session, activity, values, entity="activity", extra=extra, redact=_texts_redacted,
        summary=lambda: f"{_described(activity, account.name if account else '')} updated",
        user=user)
    _set_people(session, activity, people)
    refresh_last_contacted(session, [*before, *people])
    return diff


def delete_activity(session: Session, activity: Activity, *, user: User | None = None) -> None:
    """Delete an activity; the people it was with get their last contacted back from
    the rest of their timeline. Records "delete activity". Does not commit."""
    people = participant_ids(session, activity.id)
    account = session.get(Account, activity.account_id)
    summary = f"{_described(activity, account.name if account else '')} deleted"
    activity_id = activity.id
    session.execute(sa.delete(ActivityStakeholder).where(
        ActivityStakeholder.activity_id == activity_id))
    session.delete(activity)
    audit.record(session, "delete", "activity", activity_id, summary,
                 details={"with": people}, user=user)
    refresh_last_contacted(session, people)
