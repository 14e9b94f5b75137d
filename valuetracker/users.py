"""User accounts: one place that creates and changes them (web admin and CLI)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from sqlmodel import Session, select

from . import audit
from .db import check_version
from .models import ROLES, User
from .security import hash_password
from .validation import one_line

# The password policy (OWASP ASVS 5.0 section 6.2): 12 to 128 characters, not all
# whitespace, not among the commonest passwords. One function for the CLI, the admin's
# forms and every password change.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (valuetracker/data/common-passwords.txt), lower case."""
    text = files("valuetracker").joinpath("data", "common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def check_password_policy(password: str) -> str | None:
    """Why `password` may not be used (a sentence for the person choosing it), or None."""
    if not password.strip():
        return "The password cannot be only spaces."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password can have at most {MAX_PASSWORD_LENGTH} characters."
    if password.strip().casefold() in common_passwords():
        return "This password is among the most common ones; choose another."
    return None


class UserError(ValueError):
    pass


def find_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def clean_title(title: str | None) -> str | None:
    """A job title as it signs customer mail: one line, trimmed, None when empty."""
    shown = one_line(title or "")[:200]
    return shown or None


def create_user(
    session: Session, *, email: str, name: str, role: str, password: str,
    password_hash: str | None = None, title: str | None = None,
) -> User:
    """Validate and add a user (the caller commits). `title` (e.g. "Account Director")
    signs, with the name, the mail sent to their accounts' people."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.")
    if "@" not in email:
        raise UserError(f"'{email}' is not an email address.")
    if find_user(session, email) is not None:
        raise UserError(f"A user with email {email} already exists.")
    if password_hash is None:
        problem = check_password_policy(password)
        if problem:
            raise UserError(problem)
        password_hash = hash_password(password)
    user = User(email=email, name=name.strip() or email, role=role, password_hash=password_hash,
                title=clean_title(title))
    return audit.add_created(session, user, entity="user", summary=f"user {email} ({role}) created")


def update_user(session: Session, user: User, *, name: str, role: str, active: bool,
                expected_version: object, password: str | None = None,
                title: str | None = None) -> dict[str, list[object]]:
    """Save an admin's edit of a user: name, title, role, active, and a new password if given
    (recorded as changed, never its value). Raises `db.StaleEditError` (nothing changed)
    when someone saved the user since the form was loaded at `expected_version`.
    Records "update user"; does not commit."""
    check_version(session, user, expected_version)
    extra: dict[str, list[object]] = {}
    if password:
        problem = check_password_policy(password)
        if problem:
            raise UserError(problem)
        user.password_hash = hash_password(password)
        extra["password"] = ["***", "***"]
    return audit.apply_changes(session, user, {"name": name.strip(), "title": clean_title(title),
                                                "role": role, "active": active},
                               entity="user", summary=f"user {user.email} updated", extra=extra)
