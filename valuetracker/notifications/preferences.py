"""A user's notification preferences: event × channel, and the digest's frequency.

`choices` gives every (event, channel) the preferences page offers; a row is stored
only where the choice differs from the default, so a default changed later reaches
everyone who never chose otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from .. import audit
from ..models import DIGEST_FREQUENCIES, NotificationPreference, User
from .rules import CHANNELS_OF, RULES, preferences


def choices(session: Session, user: User) -> dict[tuple[str, str], bool]:
    """Every (event, channel) on offer and whether the user has it on."""
    assert user.id is not None
    stored = preferences(session, [user.id])
    return {(event, channel): stored.get((user.id, event, channel),
                                         RULES[event].default(channel))
            for event, channels in CHANNELS_OF.items() for channel in channels}


def save_preferences(session: Session, user: User, wanted: Mapping[tuple[str, str], bool],
                     *, frequency: str, actor: User | None = None) -> list[str]:
    """Store the user's choices (only those that differ from the default) and digest
    frequency; records one audit event listing what changed. Returns the changes as
    text ("value.disputed e-mail: off"). Does not commit."""
    if frequency not in DIGEST_FREQUENCIES:
        raise ValueError(f"unknown digest frequency {frequency!r}")
    before = choices(session, user)
    rows = {(p.event, p.channel): p for p in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    changed: list[str] = []
    for key, was in before.items():
        now = bool(wanted.get(key, was))
        event, channel = key
        row = rows.get(key)
        if now == RULES[event].default(channel):
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(NotificationPreference(user_id=user.id, event=event,
                                               channel=channel, enabled=now))
        else:
            row.enabled = now
            session.add(row)
        if now != was:
            changed.append(f"{event} {channel}: {'on' if now else 'off'}")
    if frequency != user.digest_frequency:
        changed.append(f"digest: {frequency}")
        user.digest_frequency = frequency
        session.add(user)
    if changed:
        audit.record(session, "update", "notification_preferences", user.id,
                     f"notification preferences of {user.email} changed",
                     details={"changes": changed}, user=actor or user)
    return changed


def stop_digest(session: Session, user: User) -> bool:
    """Turn the user's digest off from the link in a digest mail (no one is signed
    in); records it. False when it was off already. Does not commit."""
    if user.digest_frequency == "off":
        return False
    was = user.digest_frequency
    user.digest_frequency = "off"
    session.add(user)
    audit.record(session, "update", "notification_preferences", user.id,
                 f"{user.email} unsubscribed from the {was} digest (link in the mail)",
                 details={"changes": ["digest: off"], "via": "link"}, user=user)
    return True
