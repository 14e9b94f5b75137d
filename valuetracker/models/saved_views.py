"""Saved views: a user's named lists as filtered and sorted (their URL query)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field


class SavedView(SQLModel, table=True):
    """One list as a user saved it: the list's endpoint (`winloss.deals`) and its query
    string (`owner=3&sort=-amount`), under a name unique per user. Only its user sees it."""

    __tablename__ = "saved_view"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=80)
    endpoint: str = Field(max_length=80)
    query: str = Field(default="", max_length=2000)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)


__all__ = ["SavedView"]
