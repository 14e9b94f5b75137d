"""User accounts: one place that creates and changes them (web admin and CLI)."""

from __future__ import annotations

from sqlmodel import Session, select

from . import audit
from .models import ROLES, User
from .security import hash_password

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    pass


def find_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def create_user(
    session: Session, *, email: str, name: str, role: str, password: str,
    password_hash: str | None = None,
) -> User:
    """Validate and add a user (the caller commits)."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.")
    if "@" not in email:
        raise UserError(f"'{email}' is not an email address.")
    if find_user(session, email) is not None:
        raise UserError(f"A user with email {email} already exists.")
    if password_hash is None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
        password_hash = hash_password(password)
    user = User(email=email, name=name.strip() or email, role=role, password_hash=password_hash)
    return audit.add_created(session, user, entity="user", summary=f"user {email} ({role}) created")


def update_user(session: Session, user: User, *, name: str, role: str, active: bool,
                password: str | None = None) -> dict[str, list[object]]:
    """Save an admin's edit of a user: name, role, active, and a new password if given
    (recorded as changed, never its value). Records "update user"; does not commit."""
    extra: dict[str, list[object]] = {}
    if password:
        user.password_hash = hash_password(password)
        extra["password"] = ["***", "***"]
    return audit.apply_changes(session, user, {"name": name.strip(), "role": role,
                                                "active": active},
                               entity="user", summary=f"user {user.email} updated", extra=extra)
