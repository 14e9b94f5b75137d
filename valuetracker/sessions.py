"""Sessions kept on the server: a sign-in starts one, signing out ends it, an admin can
end all of a user's, and deactivating a user ends them.

Flask-Login keeps `session["_user_id"]` in the signed session cookie and copies it into
the remember-me cookie. We store `"<user id>:<password fingerprint>:<token>"` there; the
token's SHA-256 names a `UserSession` row, and `load_user` accepts the cookie only while
that row is live. So a cookie copied before a sign-out is worth nothing after it, and a
new password still ends every session (the fingerprint no longer matches).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import has_request_context, request
from flask import session as flask_session
from flask_login import login_user, logout_user
from sqlmodel import Session, func, select

from . import audit
from .models import User, UserSession, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new live session row for `user`; returns its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(id=_digest(token), user_id=user.id)
    if has_request_context():
        row.ip = (request.remote_addr or "")[:64] or None
        row.user_agent = (request.user_agent.string or "")[:255] or None
    session.add(row)
    return token


def sign_in(session: Session, user: User, *, remember: bool) -> None:
    """Start a server-side session and sign `user` in with it (the caller commits)."""
    token = start_session(session, user)
    login_user(user, remember=remember)
    flask_session["_user_id"] = f"{user.get_id()}:{token}"


def sign_out(session: Session) -> None:
    """End this browser's session on the server, then sign out (the caller commits)."""
    _user_id, _fingerprint, token = _parts(flask_session.get("_user_id"))
    if token:
        session.execute(sa.update(UserSession)
                        .where(UserSession.id == _digest(token), UserSession.ended_at.is_(None))
                        .values(ended_at=utcnow())
                        .execution_options(synchronize_session=False))
    logout_user()


def end_all_sessions(session: Session, user: User, *, actor: User | None = None) -> int:
    """End every live session of `user` (an admin's button, a deactivation). Records
    "end_sessions user" when any was live; returns how many. Does not commit."""
    ended = session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        audit.record(session, "end_sessions", "user", user.id,
                     f"{ended} session(s) of {user.email} ended", user=actor)
    return ended


def live_sessions(session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).one()


def _parts(session_id: str | None) -> tuple[str, str, str]:
    user_id, _sep, rest = (session_id or "").partition(":")
    fingerprint, _sep, token = rest.partition(":")
    return user_id, fingerprint, token


def load_session_user(session: Session, session_id: str) -> User | None:
    """The user of a session cookie's `_user_id`, or None when the account is gone or
    inactive, its password changed, or the session was ended (or never started here)."""
    user_id, fingerprint, token = _parts(session_id)
    if not user_id.isdigit() or not token or len(token) > 100:
        return None
    # One query (it runs on every request): the user, if this session of theirs is live.
    user = session.exec(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.id == _digest(token),
               UserSession.ended_at.is_(None))
    ).first()
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(fingerprint, user.session_fingerprint):
        return None
    return user
