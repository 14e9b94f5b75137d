"""Column types and helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite has no timezone type, so values would otherwise come back naive.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


MONEY = sa.Numeric(16, 2)


def money_field(*, nullable: bool = True, default: Decimal | None = None, **kw: Any) -> Any:
    """A Decimal column with two decimal places."""
    return Field(default=default, sa_type=MONEY, nullable=nullable, **kw)


def timestamp_field(*, nullable: bool = True, default_now: bool = False, **kw: Any) -> Any:
    """A timezone-aware timestamp column."""
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=nullable, **kw)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


def link_key(target: str, *, index: bool = False) -> Any:
    """A column of a many-to-many table: part of its primary key, and a foreign key to
    `target` ("table.id") whose rows take theirs with them when deleted."""
    return Field(foreign_key=target, primary_key=True, index=index, ondelete="CASCADE")


def slugify(text: str) -> str:
    """A URL-safe lower-case slug ("Acme Corp." -> "acme-corp")."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return text or "item"
