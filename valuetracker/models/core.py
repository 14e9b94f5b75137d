"""Users, audit trail, background jobs and installation settings."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field, utcnow

ROLES = ("account_manager", "analyst", "leader", "admin")
DEFAULT_ROLE = "account_manager"
ROLE_LABELS = {
    "account_manager": "Account manager",
    "analyst": "Analyst",
    "leader": "Leader",
    "admin": "Admin",
}


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, sa_column_kwargs={"unique": True}, index=True)
    name: str = Field(max_length=200)
    # Signs the mails to customers (with the name): "Account Director".
    title: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=DEFAULT_ROLE, max_length=32)
    active: bool = Field(default=True)
    last_login_at: datetime | None = timestamp_field()
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    # How often the user's digest mail comes: daily, weekly or off (models/notifications.py).
    digest_frequency: str = Field(default="daily", max_length=10,
                                  sa_column_kwargs={"server_default": "daily"})

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session (and the remember-me cookie) keeps: the id and a fingerprint
        of the password hash, so a new password signs out every session that had the old
        one (`valuetracker.load_user` compares them)."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        # The salted hash is never in the cookie; a digest of it cannot be guessed from
        # a password alone, and it changes with every new hash.
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:20]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field(nullable=False, default_now=True, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=40)  # create, update, delete, login, login_failed, ...
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=64)
    summary: str = Field(default="", max_length=500)
    details: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    ip: str | None = Field(default=None, max_length=64)


class Job(SQLModel, table=True):
    """Background work with progress, shared by the web app and the CLI."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)
    status: str = Field(default="queued", max_length=20)  # queued, running, done, failed
    done: int = 0
    failed: int = 0
    total: int = 0
    error: str | None = Field(default=None, sa_type=sa.Text)
    params: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status in ("done", "failed") else 0
        return int(100 * (self.done + self.failed) / self.total)


class WorkerHeartbeat(SQLModel, table=True):
    """A running `valuetracker worker`, so the web and the CLI know someone takes jobs.

    The worker refreshes its row every HEARTBEAT_INTERVAL and deletes it when it stops
    cleanly; a killed one leaves it behind, and it counts as dead once `expires_at`
    (a few missed beats after `seen_at`) is past. The worker sets the expiry itself,
    so readers need not share its interval setting.
    """

    __tablename__ = "worker_heartbeat"
    id: str = Field(primary_key=True, max_length=32)  # random per process: pids repeat
    hostname: str = Field(max_length=255)
    pid: int
    started_at: datetime = timestamp_field(nullable=False, default_now=True)
    seen_at: datetime = timestamp_field(nullable=False, default_now=True)
    expires_at: datetime = timestamp_field(nullable=False, index=True)

    def is_alive(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or utcnow())


class Setting(SQLModel, table=True):
    """Installation-wide settings editable by admins (branding, fiscal year...)."""

    key: str = Field(primary_key=True, max_length=80)
    value: Any = Field(default=None, sa_type=sa.JSON)
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)


class DataVersion(SQLModel, table=True):
    """One row counting committed changes to the data, so cached figures know they are stale.

    Bumped inside the writing transaction by `valuetracker.cache` (an ORM listener), read
    once per request by the pages that cache costly aggregates.
    """

    __tablename__ = "data_version"
    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)


__all__ = ["ROLES", "DEFAULT_ROLE", "ROLE_LABELS", "User", "AuditEvent", "Job",
           "WorkerHeartbeat", "Setting", "DataVersion", "utcnow"]
