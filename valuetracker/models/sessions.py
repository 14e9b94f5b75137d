"""Signed-in sessions, kept on the server so that signing out (or an admin) can end them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .base import timestamp_field


class UserSession(SQLModel, table=True):
    """One sign-in: its cookie (and remember-me cookie) carries a random token whose
    SHA-256 is this row's id. The session is live until `ended_at` is set."""

    __tablename__ = "user_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    ended_at: datetime | None = timestamp_field()
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


__all__ = ["UserSession"]
