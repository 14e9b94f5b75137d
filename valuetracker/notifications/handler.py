"""The events consumer: every domain event becomes the notifications of the users it
concerns (`rules.recipients_of`), with the channels each of them wants, added to the
writer's transaction (saved with the change, or not at all). Nothing is sent here:
the worker mails the immediate ones after the commit (`mailing.send_immediate`).

It receives events a batch at a time (`events.bulk_handler`): one event from `emit`,
thousands from a signal refresh's `emit_many`; either way a fixed number of queries
and one multi-row INSERT."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import events
from ..models import Account, Notification
from .rules import CHUNK, RULES, describe, preferences, recipients_of, wants


@events.bulk_handler
def notify(session: Session, batch: Sequence[events.Event]) -> None:
    """Add one notification per user who wants to hear of each event in the app or by
    an immediate e-mail."""
    batch = [e for e in batch if e.name in RULES]
    if not batch:
        return
    audiences = recipients_of(session, batch)
    user_ids = sorted({u.id for users in audiences for u in users if u.id is not None})
    if not user_ids:
        return
    prefs = preferences(session, user_ids, sorted({e.name for e in batch}))
    accounts = _load_accounts(session, {
        e.account_id for e, users in zip(batch, audiences, strict=True)
        if users and e.account_id is not None})
    rows: list[dict[str, Any]] = []
    for event, users in zip(batch, audiences, strict=True):
        if not users:
            continue
        rule = RULES[event.name]
        text, url = describe(session, event)
        mail_applies = rule.email_when is None or rule.email_when(event)
        for user in users:
            assert user.id is not None
            in_app = wants(prefs, user.id, event.name, "in_app")
            email = mail_applies and wants(prefs, user.id, event.name, "email")
            if not (in_app or email):
                continue
            rows.append({"user_id": user.id, "event": event.name,
                         "account_id": event.account_id, "entity": event.entity,
                         "entity_id": event.entity_id, "text": text[:500], "url": url[:500],
                         "in_app": in_app, "email": email, "created_at": event.at})
    del accounts
    if rows:
        # One multi-row INSERT (through the session: the writer's transaction).
        session.execute(sa.insert(Notification), rows)


def _load_accounts(session: Session, ids: set[int]) -> list[Account]:
    """Put the events' accounts in the session's identity map, so that `describe`'s
    lookups of them cost no query (the caller holds the list: the map keeps weak
    references)."""
    wanted = sorted(ids)
    found: list[Account] = []
    for start in range(0, len(wanted), CHUNK):
        found.extend(session.exec(
            select(Account).where(Account.id.in_(wanted[start:start + CHUNK]))).all())
    return found
