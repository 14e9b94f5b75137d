"""One password policy (OWASP ASVS 5.0 section 6.2) for `create-user`, the admin's user
form and every password change: 12 to 128 characters, not all whitespace, not among the
common passwords bundled with the package."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from valuetracker.demo.core import DEMO_PASSWORD
from valuetracker.models import User
from valuetracker.security import check_password
from valuetracker.users import check_password_policy, common_passwords

from .factories import PASSWORD

REFUSED = {
    " " * 10: "only spaces",
    " " * 20: "only spaces",
    "\t \t \t \t \t \t ": "only spaces",
    "short-one": "at least 12 characters",
    "x" * 129: "at most 128 characters",
    "y" * 5000: "at most 128 characters",
    "password1234": "most common",
    "Password1234": "most common",
    "qwertyuiop123": "most common",
    "123456789012": "most common",
    "iloveyou2024": "most common",
}


@pytest.mark.parametrize("password, reason", REFUSED.items(), ids=range(len(REFUSED)))
def test_the_policy_refuses_with_a_clear_reason(password: str, reason: str) -> None:
    problem = check_password_policy(password)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("password", [PASSWORD, DEMO_PASSWORD, "a-long-password",
                                      "x" * 128, "correct horse battery staple",
                                      " leading and trailing spaces "])
def test_the_policy_accepts_long_uncommon_passwords(password: str) -> None:
    assert check_password_policy(password) is None


def test_the_common_list_ships_with_the_package() -> None:
    common = common_passwords()
    assert len(common) > 2000
    assert {"password", "123456", "qwerty123456", "welcome2026"} <= common
    assert all(p == p.lower() for p in common)


@pytest.mark.parametrize("password", [" " * 10, "y" * 5000, "password1234"])
def test_create_user_refuses_what_the_policy_refuses(runner: Any, session: Any,
                                                     password: str) -> None:
    result = runner.invoke(args=["create-user", "cli@example.com"], input=password + "\n")
    assert result.exit_code != 0
    assert check_password_policy(password) in result.output
    assert session.exec(select(User).where(User.email == "cli@example.com")).first() is None


def test_create_user_accepts_a_good_password(runner: Any, session: Any) -> None:
    result = runner.invoke(args=["create-user", "cli@example.com"],
                           input="a sound passphrase\r\n")
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "cli@example.com")).one()
    assert check_password(user.password_hash, "a sound passphrase")


@pytest.mark.parametrize("password", [" " * 12, "x" * 129, "letmein12345"])
def test_the_admin_forms_refuse_what_the_policy_refuses(cast: Any, session: Any,
                                                        login_as: Any, password: str) -> None:
    admin = login_as(cast.admin)
    response = admin.post("/admin/users/new", data={
        "email": "new@example.com", "name": "New", "role": "analyst", "password": password})
    assert response.status_code == 200
    assert check_password_policy(password) in response.get_data(as_text=True)
    assert session.exec(select(User).where(User.email == "new@example.com")).first() is None
    old_hash = cast.am1.password_hash
    response = admin.post(f"/admin/users/{cast.am1.id}/edit", data={
        "name": cast.am1.name, "role": cast.am1.role, "active": "y", "password": password,
        "version": str(getattr(cast.am1, "version", ""))})
    assert response.status_code == 200
    assert check_password_policy(password) in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, cast.am1.id).password_hash == old_hash


def test_an_empty_new_password_keeps_the_old_one(cast: Any, session: Any,
                                                 login_as: Any) -> None:
    old_hash = cast.am1.password_hash
    response = login_as(cast.admin).post(f"/admin/users/{cast.am1.id}/edit", data={
        "name": "Alice M.", "role": cast.am1.role, "active": "y", "password": "",
        "version": str(getattr(cast.am1, "version", ""))})
    assert response.status_code == 302
    session.expire_all()
    user = session.get(User, cast.am1.id)
    assert user.name == "Alice M." and user.password_hash == old_hash
