"""Personal API tokens: a user's bearer tokens for the JSON API (`/api/v1`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .base import timestamp_field

API_SCOPES = ("read", "write")


class ApiToken(SQLModel, table=True):
    """One personal token. The token itself is shown once and never stored: `token_hash`
    is its SHA-256 (the token is 32 random bytes, so a plain hash is enough). It
    authenticates until it expires or is revoked; `read` tokens may not change data."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    scope: str = Field(default="read", max_length=10)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    expires_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()

    @property
    def may_write(self) -> bool:
        return self.scope == "write"


__all__ = ["API_SCOPES", "ApiToken"]
