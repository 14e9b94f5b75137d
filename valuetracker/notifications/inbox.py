"""A user's notifications in the app: the list, the unread count, marking them read.

Marking read is the user's own reading state, not a change to the domain's data:
it records no audit event (the trail would fill with "read" clicks) and emits none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, func, select

from ..models import Notification, User, utcnow
from ..pagination import Page, paginate


def _mine(user: User) -> Any:
    return sa.and_(Notification.user_id == user.id, Notification.in_app)


def unread_count(session: Session, user: User) -> int:
    """How many of the user's in-app notifications are unread (one indexed COUNT)."""
    return int(session.exec(select(func.count()).select_from(Notification).where(
        _mine(user), Notification.read_at.is_(None))).one())


def notifications_page(session: Session, user: User, *, number: int, size: int,
                       unread_only: bool = False) -> Page:
    """One page of the user's in-app notifications, newest first."""
    query = select(Notification).where(_mine(user))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return paginate(session, query, number=number, size=size)


def mark_read(session: Session, notification: Notification, *,
              now: datetime | None = None) -> bool:
    """Mark one notification read (the caller checked it is the user's, and commits).
    False when it was read already."""
    if notification.read_at is not None:
        return False
    notification.read_at = now or utcnow()
    session.add(notification)
    return True


def mark_all_read(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read, in one UPDATE; how many."""
    result = session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
