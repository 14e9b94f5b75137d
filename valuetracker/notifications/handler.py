"""The events consumer: every domain event becomes the notifications of the users it
concerns (`rules.recipients`), with the channels each of them wants, added to the
writer's transaction (saved with the change, or not at all). Nothing is sent here:
the worker mails the immediate ones after the commit (`mailing.send_immediate`)."""

from __future__ import annotations

from sqlmodel import Session

from .. import events
from ..models import Notification
from .rules import RULES, describe, preferences, recipients, wants


@events.handler
def notify(session: Session, event: events.Event) -> None:
    """Add one notification per user who wants to hear of `event` in the app or by an
    immediate e-mail."""
    rule = RULES.get(event.name)
    if rule is None:
        return
    users = recipients(session, event)
    if not users:
        return
    prefs = preferences(session, [u.id for u in users if u.id is not None], [event.name])
    text, url = describe(session, event)
    mail_applies = rule.email_when is None or rule.email_when(event)
    for user in users:
        assert user.id is not None
        in_app = wants(prefs, user.id, event.name, "in_app")
        email = mail_applies and wants(prefs, user.id, event.name, "email")
        if not (in_app or email):
            continue
        session.add(Notification(
            user_id=user.id, event=event.name, account_id=event.account_id,
            entity=event.entity, entity_id=event.entity_id, text=text[:500], url=url[:500],
            in_app=in_app, email=email, created_at=event.at))
