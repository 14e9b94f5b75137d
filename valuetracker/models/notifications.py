"""Notifications to our own users: one message per user and event, their preferences
(event × channel), and the digest mails already sent (never twice per period)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field

# How a user may hear of an event, with its label on the preferences page.
NOTIFICATION_CHANNELS = {"in_app": "In the app", "email": "E-mail at once",
                         "digest": "In my digest"}
DIGEST_FREQUENCIES = {"daily": "Daily", "weekly": "Weekly", "off": "Off"}
DEFAULT_DIGEST_FREQUENCY = "daily"
DIGEST_PERIODS = ("daily", "weekly")
# A digest's claim: `pending` while it is being sent (a crash leaves it so: never sent
# again automatically), `sent`, `empty` (nothing to say: no mail) or `failed` (the mail
# server refused it; the next run tries again).
DIGEST_STATUSES = ("pending", "sent", "empty", "failed")


class Notification(SQLModel, table=True):
    """One message to one user about one event: shown in the app (`in_app`), and
    e-mailed at once when `email` is set (the worker claims `emailed_at` before it
    sends, so a mail goes out at most once)."""

    __table_args__ = (
        # The menu's unread count and the notifications page: a user's, newest first.
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        # The worker's queue of immediate e-mails.
        sa.Index("ix_notification_email_due", "email", "emailed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    event: str = Field(max_length=40)  # a name in events.EVENTS
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True,
                                   ondelete="CASCADE")
    entity: str = Field(max_length=60)
    entity_id: int | None = None
    text: str = Field(max_length=500)
    url: str = Field(default="", max_length=500)  # a path inside the app
    in_app: bool = Field(default=True)
    email: bool = Field(default=False)  # wanted as an immediate e-mail
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    read_at: datetime | None = timestamp_field()
    emailed_at: datetime | None = timestamp_field()  # claimed (then sent) at
    email_attempts: int = Field(default=0)
    email_error: str | None = Field(default=None, sa_type=sa.Text)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(SQLModel, table=True):
    """A user's choice for one event and channel; without a row the default applies
    (`notifications.rules.DEFAULTS`)."""

    __tablename__ = "notification_preference"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    event: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=20)  # NOTIFICATION_CHANNELS
    enabled: bool


class DigestSend(SQLModel, table=True):
    """One digest of one user for one period ("daily" "2026-12-02", "weekly"
    "2026-W49"): unique, and claimed before the mail goes out, so a re-run, a second
    worker or a restart never sends it twice. It covers [window_start, window_end)."""

    __tablename__ = "digest_send"
    __table_args__ = (sa.UniqueConstraint("user_id", "period", "period_key"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    period: str = Field(max_length=10)  # DIGEST_PERIODS
    period_key: str = Field(max_length=10)
    status: str = Field(default="pending", max_length=10)  # DIGEST_STATUSES
    window_start: datetime = timestamp_field(nullable=False)
    window_end: datetime = timestamp_field(nullable=False)
    counts: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    sent_at: datetime | None = timestamp_field()
    message_id: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, sa_type=sa.Text)


__all__ = ["DEFAULT_DIGEST_FREQUENCY", "DIGEST_FREQUENCIES", "DIGEST_PERIODS",
           "DIGEST_STATUSES", "NOTIFICATION_CHANNELS", "DigestSend", "Notification",
           "NotificationPreference"]
