"""Signed, expiring, single-use links for people who never log in.

The token is signed with the app's secret and carries the link's id, purpose,
stakeholder and expiry; the AccessLink row makes single use and revocation work.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from .models import AccessLink, Account, Deal, User, utcnow

PURPOSES = ("confirm_value", "pulse", "buyer_survey")


class LinkError(Exception):
    """Why a link cannot be used: invalid, expired, used or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="valuetracker.access-link")


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
    token = _serializer().dumps(
        {
            "l": link.id,
            "n": link.nonce,
            "p": purpose,
            "s": stakeholder_id,
            "e": int(link.expires_at.timestamp()),
        }
    )
    return link, token


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


def asker(session: Session, link: AccessLink) -> User | None:
    """Who asks through a link, as its page names them ("Maria Lopez at … asks"): the
    person who sent it; else the owner of the deal (a buyer survey) or of the account.

    Someone deactivated since is passed over, so a page never names a person who no
    longer answers for the company; None when nobody is left (the page names the company).
    """
    candidates: list[int | None] = [link.created_by_id]
    if link.deal_id is not None:
        deal = session.get(Deal, link.deal_id)
        candidates.append(deal.owner_id if deal is not None else None)
    if link.account_id is not None:
        account = session.get(Account, link.account_id)
        candidates.append(account.owner_id if account is not None else None)
    for user_id in candidates:
        user = session.get(User, user_id) if user_id is not None else None
        if user is not None and user.active:
            return user
    return None
