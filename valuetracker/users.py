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
    session.add(user)
    session.flush()
    audit.record(session, "create", "user", user.id, f"user {email} ({role}) created")
    return user
