"""Webhooks: the endpoints admins register, and each event's delivery to each of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field

DELIVERY_STATUSES = ("pending", "delivered", "failed", "dead")


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives the events it subscribed to, signed with its `whsec_` secret.

    `failing_since` is the first failure since the last success; an endpoint failing
    for a day is disabled (`enabled` false, `disabled_reason` says why) and its owner
    told (`webhooks.delivery`)."""

    __tablename__ = "webhook_endpoint"
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    secret: str = Field(max_length=100)  # "whsec_" + base64 of 32 random bytes
    enabled: bool = Field(default=True)
    # Who is told when it is disabled (the admin who added it; none from the CLI).
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    failing_since: datetime | None = timestamp_field()
    disabled_reason: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    def wants(self, event: str) -> bool:
        return self.enabled and event in (self.events or [])

    @property
    def secret_hint(self) -> str:
        """The secret as pages show it after the first time: its last four characters."""
        return f"whsec_…{self.secret[-4:]}"


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the outbox row the writer's transaction adds, then
    the log of its attempts. `body` is the exact JSON sent (signed anew at each attempt
    with that attempt's timestamp); `event_id` is the `webhook-id` header, the same on
    every retry and replay so receivers can drop duplicates.

    `next_attempt_at` is when a worker may take it; while an attempt is in flight it is
    pushed ahead (a lease), so two workers never send it at once and a worker killed
    mid-send leaves it to be retried."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
                      sa.Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"))
    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
        nullable=False))
    event_id: str = Field(max_length=40)
    event: str = Field(max_length=60)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(default="pending", max_length=20)  # DELIVERY_STATUSES
    attempt: int = Field(default=0)  # attempts made so far
    next_attempt_at: datetime | None = timestamp_field()
    last_attempt_at: datetime | None = timestamp_field()
    response_code: int | None = None
    duration_ms: int | None = None
    response_body: str | None = Field(default=None, sa_type=sa.Text)  # truncated
    error: str | None = Field(default=None, max_length=500)
    replay_of_id: int | None = Field(default=None)  # the delivery this one replays
    created_at: datetime = timestamp_field(nullable=False, default_now=True)

    @property
    def payload(self) -> Any:
        import json

        return json.loads(self.body)


__all__ = ["DELIVERY_STATUSES", "WebhookDelivery", "WebhookEndpoint"]
