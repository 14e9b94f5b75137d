"""A stakeholder's personal data: export everything we hold about them, or erase them.

Erasure anonymises the person but keeps value, pulse and interview records (their
figures still count); those rows then point at an anonymous stakeholder.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from . import audit
from .models import (
    ROLLUP_DEALS,
    AccessLink,
    Account,
    Activity,
    ActivityStakeholder,
    Deal,
    InterviewAnswer,
    InterviewQuote,
    LoyaltyPulse,
    Signal,
    Stakeholder,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    WinLossInterview,
    utcnow,
)

EXPORT_FORMAT = "valuetracker.stakeholder-export/1"
PERSON_FIELDS = (
    "id", "name", "title", "email", "phone", "buying_role", "influence", "sentiment",
    "is_key", "reports_to_id", "preferences", "notes", "preferred_channel", "opted_out_at",
    "opted_out_via", "left_company_at", "last_contacted_on", "contacted_before_timeline_on",
    "external_id", "erased_at", "created_at", "updated_at",
)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _linked(session: Session, person: Stakeholder, model: Any, link_key: Any,
            when: Any) -> list[Any]:
    """The `model` rows the person is linked to through a link table (`link_key`: its
    column naming the row, beside its `stakeholder_id`), oldest first by `when`."""
    link = link_key.class_
    return list(session.exec(
        select(model).join(link, link_key == model.id)
        .where(link.stakeholder_id == person.id).order_by(when, model.id)
    ).all())


INTERVIEWS_WITHHELD = (
    "Win/loss interviews are the interview program's and may be anonymous; an admin "
    "exports them.")


def export_stakeholder(session: Session, person: Stakeholder, *,
                       include_interviews: bool = True) -> dict[str, Any]:
    """Everything held about one person, as JSON-ready data (a handful of queries).

    Without `include_interviews` (the exporting user does not run the win/loss program)
    the interviews are left out, whatever they are: an account manager must not learn
    from an export that their contact gave an anonymous interview, or what was said.
    """
    account = session.get(Account, person.account_id)
    manager = session.get(Stakeholder, person.reports_to_id) if person.reports_to_id else None
    pulses = session.exec(
        select(LoyaltyPulse).where(LoyaltyPulse.stakeholder_id == person.id)
        .order_by(LoyaltyPulse.taken_on, LoyaltyPulse.id)
    ).all()
    confirmations = session.exec(
        select(ValueConfirmation, ValueEntry.title)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .where(ValueConfirmation.stakeholder_id == person.id)
        .order_by(ValueConfirmation.responded_at, ValueConfirmation.id)
    ).all()
    benefits = _linked(session, person, ValueEntry, ValueEntryBeneficiary.entry_id,
                       ValueEntry.delivered_on)
    activities = _linked(session, person, Activity, ActivityStakeholder.activity_id,
                         Activity.occurred_on)
    interviews = session.exec(
        select(WinLossInterview, Deal.name)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.stakeholder_id == person.id)
        .order_by(WinLossInterview.requested_at, WinLossInterview.id)
    ).all() if include_interviews else []
    interview_ids = [interview.id for interview, _ in interviews]
    answers = _by_interview(session, InterviewAnswer, interview_ids)
    quotes = _by_interview(session, InterviewQuote, interview_ids)
    withheld = {} if include_interviews else {"winloss_interviews_note": INTERVIEWS_WITHHELD}
    return withheld | {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "account": {"id": account.id, "name": account.name} if account else None,
        "stakeholder": _row(person, PERSON_FIELDS)
        | {"reports_to": manager.name if manager else None},
        "loyalty_pulses": [_row(p, (
            "id", "taken_on", "satisfaction", "repurchase_intent", "recommend",
            "positive_emotion", "emotion_text", "driver_ranking", "comment", "method",
            "created_at")) for p in pulses],
        "value_confirmations": [_row(c, (
            "id", "entry_id", "response", "adjusted_amount", "comment", "method",
            "responded_at")) | {"entry_title": title} for c, title in confirmations],
        # What the team logged with them (not who else was there: that is others' data).
        "activities": [_row(a, (
            "id", "kind", "occurred_on", "summary", "outcome", "created_at"))
            for a in activities],
        "value_entries_benefited": [_row(e, (
            "id", "title", "driver", "amount", "unit", "delivered_on", "evidence_status"))
            for e in benefits],
        "winloss_interviews": [_row(i, (
            "id", "deal_id", "status", "channel", "anonymity", "contact_name", "contact_title",
            "requested_at", "scheduled_for", "completed_at", "notes"))
            | {"deal": deal_name,
               "answers": [_row(a, ("question_id", "text", "rating", "choice"))
                           for a in answers.get(i.id, [])],
               "quotes": [_row(q, ("text", "tags")) for q in quotes.get(i.id, [])]}
            for i, deal_name in interviews],
    }


def _by_interview(session: Session, model: Any, interview_ids: list[int]
                  ) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    if not interview_ids:
        return grouped
    for row in session.exec(select(model).where(model.interview_id.in_(interview_ids))
                            .order_by(model.id)).all():
        grouped.setdefault(row.interview_id, []).append(row)
    return grouped


def erased_name(person: Stakeholder) -> str:
    return f"Erased stakeholder #{person.id}"


def erase_stakeholder(session: Session, person: Stakeholder) -> None:
    """Anonymise a person for good: name, contact details, notes and ids removed.

    Pulses, confirmations, value entries and interviews stay (their figures still count)
    but no longer say who; open links to the person are revoked so nothing reaches them.
    Activities logged with them stay on the account's timeline without them: their
    links to the person are removed and their name is taken out of the texts.
    The audit event records that an erasure happened, not what was erased.
    """
    if person.erased_at is not None:
        return
    now = utcnow()
    _erase_outbox(person)  # files first: no database lock is held while reading them
    names = _known_names(session, person)
    _scrub_audit_trail(session, person, names)
    _erase_activities(session, person, names)
    _erase_tasks(session, person, names)
    _erase_signals(session, person, names)
    _erase_summaries(session, person)
    person.name = erased_name(person)
    for column in ("title", "email", "phone", "preferences", "notes", "external_id"):
        setattr(person, column, None)
    person.erased_at = now
    person.opted_out_at = person.opted_out_at or now
    person.version += 1
    person.updated_at = now
    session.add(person)
    # Interviews may carry the person's name as the outside contact: remove it.
    session.exec(
        sa.update(WinLossInterview)
        .where(WinLossInterview.stakeholder_id == person.id)
        .values(contact_name=None, contact_title=None)
        # Names only: nothing the win/loss rollup counts.
        .execution_options(synchronize_session=False, **{ROLLUP_DEALS: ()})
    )
    session.exec(
        sa.update(AccessLink)
        .where(AccessLink.stakeholder_id == person.id, AccessLink.used_at.is_(None),
               AccessLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, "erase", "stakeholder", person.id,
                 f"personal data of stakeholder #{person.id} erased")


def _erase_summaries(session: Session, person: Stakeholder) -> None:
    """The PDF summaries addressed to the person carry their name (in the file and its
    path) and their sendings the email address: delete the files, blank the fields.
    The rows stay, so a summary already sent is still never sent again.
    """
    from pathlib import Path

    from flask import current_app, has_app_context
    from werkzeug.utils import safe_join

    from .models import Distribution, ValueSummary

    summaries = session.exec(select(ValueSummary).where(
        ValueSummary.stakeholder_id == person.id)).all()
    reports_dir = current_app.config.get("REPORTS_DIR") if has_app_context() else None
    for summary in summaries:
        path = safe_join(reports_dir, summary.file_path) if reports_dir and \
            summary.file_path else None
        if path is not None:
            Path(path).unlink(missing_ok=True)
        summary.file_path = ""
        session.add(summary)
    if summaries:
        session.exec(
            sa.update(Distribution)
            .where(Distribution.summary_id.in_([s.id for s in summaries]))
            .values(recipient=None, error=None)
            .execution_options(synchronize_session=False)
        )


def _erase_outbox(person: Stakeholder) -> None:
    """Without SMTP settings mail is kept as `.eml` files: those to the person go too."""
    from flask import has_app_context

    from . import mail

    if person.email and has_app_context():
        mail.remove_from_outbox(person.email)


# Audit events that may name a stakeholder in their summary (see the areas' audit calls).
_NAMING_ENTITIES = ("stakeholder", "loyalty_pulse", "access_link", "value_confirmation")
_PERSONAL_KEYS = ("name", "title", "email", "phone", "preferences", "notes", "external_id")


def _own_events(session: Session, person: Stakeholder) -> list[Any]:
    from .models import AuditEvent

    return list(session.exec(select(AuditEvent).where(
        AuditEvent.entity == "stakeholder", AuditEvent.entity_id == str(person.id))).all())


def _known_names(session: Session, person: Stakeholder) -> set[str]:
    """Every name the person's record had: now, and before a rename (their audit trail)."""
    names = {person.name}
    for event in _own_events(session, person):
        names.update(v for v in (event.details or {}).get("name", []) if isinstance(v, str))
    return {n for n in names if n and n.strip()}


def _replace_names(column: Any, names: set[str], erased: str) -> Any:
    """SQL: `column` with every one of `names` replaced, longest first ("Erin Q.
    Evaluator" before "Erin Q.")."""
    for name in sorted(names, key=len, reverse=True):
        column = sa.func.replace(column, name, erased)
    return column


def _erase_activities(session: Session, person: Stakeholder, names: set[str]) -> None:
    """The account's logged activities keep what happened, not who: the person's links
    to them go, and their names leave the summaries and outcomes (of any activity of
    the account: a call with someone else may be about them)."""
    session.exec(
        sa.delete(ActivityStakeholder).where(ActivityStakeholder.stakeholder_id == person.id)
        .execution_options(synchronize_session=False))
    if not names:
        return
    erased = erased_name(person)
    mentions = sa.or_(*[column.contains(name, autoescape=True)
                        for name in names for column in (Activity.summary, Activity.outcome)])
    session.exec(
        sa.update(Activity)
        .where(Activity.account_id == person.account_id, mentions)
        # A new version: an edit form opened before cannot put the name back unnoticed.
        .values(summary=_replace_names(Activity.summary, names, erased),
                outcome=_replace_names(Activity.outcome, names, erased),
                version=Activity.version + 1)
        .execution_options(synchronize_session=False))


def _erase_tasks(session: Session, person: Stakeholder, names: set[str]) -> None:
    """The account's tasks keep what was to be done, not who: the person's names leave
    their titles, dismissal reasons and comments (a play titles its task with the name:
    "Find and map the successor of …")."""
    from .models import Task, TaskComment

    if not names:
        return
    erased = erased_name(person)
    columns = (Task.title, Task.dismissed_reason)
    mentions = sa.or_(*[column.contains(name, autoescape=True)
                        for name in names for column in columns])
    session.exec(
        sa.update(Task).where(Task.account_id == person.account_id, mentions)
        .values(title=_replace_names(Task.title, names, erased),
                dismissed_reason=_replace_names(Task.dismissed_reason, names, erased),
                version=Task.version + 1)
        .execution_options(synchronize_session=False))
    account_tasks = sa.select(Task.id).where(Task.account_id == person.account_id)
    session.exec(
        sa.update(TaskComment)
        .where(TaskComment.task_id.in_(account_tasks),
               sa.or_(*[TaskComment.text.contains(name, autoescape=True) for name in names]))
        .values(text=_replace_names(TaskComment.text, names, erased))
        .execution_options(synchronize_session=False))


def _erase_signals(session: Session, person: Stakeholder, names: set[str]) -> None:
    """Signals name the person they concern ("Nina Costa (CFO) left the company"): their
    messages keep what happened, not who (with the title that followed the name)."""
    if not names:
        return
    erased = erased_name(person)
    spelled = set(names) | ({f"{n} ({person.title})" for n in names} if person.title else set())
    mentions = sa.or_(Signal.stakeholder_id == person.id,
                      *[Signal.message.contains(n, autoescape=True) for n in names])
    session.exec(
        sa.update(Signal)
        .where(Signal.account_id == person.account_id, mentions)
        .values(message=_replace_names(Signal.message, spelled, erased))
        .execution_options(synchronize_session=False))


def _scrub_audit_trail(session: Session, person: Stakeholder, names: set[str]) -> None:
    """Remove the person from the audit trail: every name they had from event summaries
    (e.g. "pulse recorded for Carol Buyer") and the old values of personal fields from
    the diffs of their record's edits. That an event happened, when and by whom, stays.
    """
    from .models import AuditEvent

    erased = erased_name(person)
    own_events = _own_events(session, person)
    for event in own_events:
        details = dict(event.details or {})
        if any(key in details for key in _PERSONAL_KEYS):
            event.details = {key: (["…", "…"] if key in _PERSONAL_KEYS else value)
                             for key, value in details.items()}
        for name in names:
            event.summary = event.summary.replace(name, erased)
        session.add(event)
    session.flush()
    for name in sorted(names, key=len, reverse=True):  # "Erin Q. Evaluator" before "Erin"
        session.exec(
            sa.update(AuditEvent)
            .where(AuditEvent.entity.in_(_NAMING_ENTITIES),
                   AuditEvent.summary.contains(name, autoescape=True))
            .values(summary=sa.func.replace(AuditEvent.summary, name, erased))
            .execution_options(synchronize_session=False)
        )


def record_export(session: Session, person: Stakeholder) -> None:
    audit.record(session, "export", "stakeholder", person.id,
                 f"personal data of stakeholder #{person.id} exported")
