"""Signed links for people who never log in.

Access links (confirm value, pulse, buyer survey) expire and work once: the token is
signed with the app's secret and carries the link's id, purpose, stakeholder and
expiry; the AccessLink row makes single use and revocation work.

Unsubscribe links are different on purpose: a person must be able to stop our mail
from any old message, so the token only names the stakeholder, signed (with its own
salt), and never expires or runs out; opting out twice is harmless. The link in a
user's digest mail (`digest_unsubscribe_token`) works the same way for our own users.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from .models import AccessLink, utcnow

PURPOSES = ("confirm_value", "pulse", "buyer_survey")


class LinkError(Exception):
    """Why a link cannot be used: invalid, expired, used or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="valuetracker.access-link")


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="valuetracker.unsubscribe")


def unsubscribe_token(stakeholder_id: int) -> str:
    """The token of a stakeholder's unsubscribe link (the same every time, never expires)."""
    return _unsubscribe_serializer().dumps({"u": int(stakeholder_id)})


def _named_id(serializer: URLSafeSerializer, token: str, key: str) -> int:
    """The id an unsubscribe-style token names under `key`; LinkError("invalid") unless
    `serializer` signed it and the id is a plain positive integer a row could have."""
    try:
        data = serializer.loads(token)
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise LinkError("invalid")
    return value


def unsubscribe_stakeholder_id(token: str) -> int:
    """The stakeholder an unsubscribe token names; LinkError("invalid") if it is not ours."""
    return _named_id(_unsubscribe_serializer(), token, "u")


def _digest_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"],
                             salt="valuetracker.digest-unsubscribe")


def digest_unsubscribe_token(user_id: int) -> str:
    """The token of the unsubscribe link in a user's digest mail (our own user, not a
    stakeholder: its own salt, so neither token opens the other's page; never expires)."""
    return _digest_serializer().dumps({"d": int(user_id)})


def digest_unsubscribe_user_id(token: str) -> int:
    """The user a digest unsubscribe token names; LinkError("invalid") if it is not ours."""
    return _named_id(_digest_serializer(), token, "d")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of a public page, from BASE_URL: mail is read elsewhere, and it
    is also built outside any request (a worker sending summaries)."""
    base = urlsplit(str(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"))
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def create_link(
    session: Session,
    purpose: str,
    *,
    stakeholder_id: int | None = None,
    account_id: int | None = None,
    deal_id: int | None = None,
    interview_id: int | None = None,
    payload: dict[str, Any] | None = None,
    created_by_id: int | None = None,
    max_age: timedelta | None = None,
) -> tuple[AccessLink, str]:
    """Record a new link and return it with its token (the caller commits)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if max_age is None:
        max_age = timedelta(days=int(current_app.config.get("LINK_MAX_AGE_DAYS", 14)))
    link = AccessLink(
        nonce=secrets.token_urlsafe(24),
        purpose=purpose,
        stakeholder_id=stakeholder_id,
        account_id=account_id,
        deal_id=deal_id,
        interview_id=interview_id,
        payload=payload,
        created_by_id=created_by_id,
        expires_at=utcnow() + max_age,
    )
    session.add(link)
    session.flush()
    return link, link_token(link)


def link_token(link: AccessLink) -> str:
    """The token of a recorded link: the same every time (a reminder carries the very
    link that was sent, not a new one)."""
    return _serializer().dumps(
        {
            "l": link.id,
            "n": link.nonce,
            "p": link.purpose,
            "s": link.stakeholder_id,
            "e": int(link.expires_at.timestamp()),
        }
    )


def open_condition(now: datetime | None = None) -> Any:
    """SQL: the link can still be answered (not used, not withdrawn, not expired)."""
    return sa.and_(AccessLink.used_at.is_(None), AccessLink.revoked_at.is_(None),
                   AccessLink.expires_at > (now or utcnow()))


def resolve_link(
    session: Session, token: str, purpose: str, *, now: datetime | None = None
) -> AccessLink:
    """The link a token names, if it is genuine, for this purpose, unexpired and unused."""
    try:
        data = _serializer().loads(token)
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or data.get("p") != purpose:
        raise LinkError("invalid")
    link = session.get(AccessLink, data.get("l"))
    if (
        link is None
        or link.nonce != data.get("n")
        or link.purpose != purpose
        or link.stakeholder_id != data.get("s")
    ):
        raise LinkError("invalid")
    now = now or utcnow()
    if link.revoked_at is not None:
        raise LinkError("revoked")
    if link.used_at is not None:
        raise LinkError("used")
    if link.expires_at <= now:
        raise LinkError("expired")
    return link


def consume_link(session: Session, link: AccessLink) -> None:
    """Mark the link used; a conditional UPDATE so two concurrent submits cannot both win."""
    result = session.execute(
        sa.update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise LinkError("used")
    link.used_at = utcnow()


def revoke_link(session: Session, link: AccessLink) -> None:
    link.revoked_at = utcnow()
    session.add(link)


def claim_reminder(session: Session, link: AccessLink, *, now: datetime) -> bool:
    """Mark the link reminded at `now` if it is still open and was never reminded; whether
    this caller won. A conditional UPDATE, so two workers cannot both send the reminder
    (the caller commits the claim before the mail goes out)."""
    result = session.execute(
        sa.update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.reminded_at.is_(None), open_condition(now))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    link.reminded_at = now
    return True


def release_reminder(session: Session, link: AccessLink, *, claimed_at: datetime) -> None:
    """Give back a claim whose mail the server refused, so a later run tries again."""
    session.execute(
        sa.update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.reminded_at == claimed_at)
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )
    link.reminded_at = None
