"""Personal API tokens: creating, listing, revoking, and authenticating a bearer token.

A token is `vt_` and 43 URL-safe characters (32 random bytes); only its SHA-256 is
stored, so a copy of the database authenticates nobody. Creating and revoking are
audited; the view or CLI command commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from . import audit
from .models import API_SCOPES, ApiToken, User, utcnow

__all__ = ["TokenError", "authenticate", "create_token", "revoke_token", "utcnow"]

PREFIX = "vt_"
NAME_MAX = 100
EXPIRES_DAYS_MAX = 3650
# last_used_at is written at most this often per token, so a busy integration does not
# turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be created as asked (the message says why)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, owner: User, *, name: str, scope: str = "read",
                 expires_days: int | None = None, user: User | None = None
                 ) -> tuple[ApiToken, str]:
    """A new token of `owner`: (the row, the token, to show once). Records a "create
    api_token" event by `user` (default: the owner). Does not commit."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise TokenError(f"Give the token a name of 1 to {NAME_MAX} characters.")
    if scope not in API_SCOPES:
        raise TokenError("The scope is read or write.")
    if expires_days is not None and not 1 <= expires_days <= EXPIRES_DAYS_MAX:
        raise TokenError(f"A token expires after 1 to {EXPIRES_DAYS_MAX} days.")
    token = PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(token), scope=scope,
                   expires_at=expires_at)
    audit.add_created(session, row, entity="api_token",
                      summary=f"API token '{name}' ({scope}) created for {owner.email}",
                      details={"scope": scope, "expires_at": expires_at and
                               expires_at.isoformat()}, user=user or owner)
    return row, token


def user_tokens(session: Session, owner: User) -> list[ApiToken]:
    """The owner's tokens, newest first (revoked ones too, to show when)."""
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == owner.id)
                             .order_by(ApiToken.id.desc())))


def get_user_token(session: Session, owner: User, token_id: int) -> ApiToken | None:
    """One of the owner's tokens (None for anyone else's)."""
    row = session.get(ApiToken, token_id)
    return row if row is not None and row.user_id == owner.id else None


def revoke_token(session: Session, row: ApiToken, *, user: User | None = None) -> None:
    """Revoke a token at once (revoking it again changes nothing). Does not commit."""
    if row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    session.add(row)
    audit.record(session, "revoke", "api_token", row.id, f"API token '{row.name}' revoked",
                 user=user)


def is_live(row: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def authenticate(session: Session, token: str) -> tuple[ApiToken, User] | None:
    """(the token, its user) when `token` is live and its user active; records the use
    (at most once a minute). Does not commit."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    # The token and its user in one query: every API request starts here.
    found = session.exec(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                         .where(ApiToken.token_hash == hash_token(token))).first()
    if found is None:
        return None
    row, user = found
    if not is_live(row) or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        session.add(row)
    return row, user
