"""Admins manage users, on the web and with `valuetracker create-user`."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from valuetracker.models import User


def test_admin_creates_user(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.admin)
    response = client.post("/admin/users/new", data={
        "email": "New@Example.com", "name": "New Person", "role": "analyst",
        "password": "a-long-password"})
    assert response.status_code == 302
    user = session.exec(select(User).where(User.email == "new@example.com")).one()
    assert user.role == "analyst" and user.password_hash.startswith("$argon2id$")


def test_duplicate_email_rerenders_with_field_error(login_as: Any, cast: Any) -> None:
    response = login_as(cast.admin).post("/admin/users/new", data={
        "email": "am1@example.com", "name": "X", "role": "analyst", "password": "a-long-password"})
    assert response.status_code == 200
    assert b"already exists" in response.data


def test_admin_changes_role_and_deactivates(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.admin)
    response = client.post(f"/admin/users/{cast.am2.id}/edit", data={
        "name": "Bob Manager", "role": "leader"})  # active unchecked -> deactivated
    assert response.status_code == 302
    session.refresh(cast.am2)
    assert cast.am2.role == "leader" and cast.am2.active is False
    # a deactivated user's session no longer works
    assert login_as(cast.am2).get("/").status_code == 302


def test_admin_cannot_demote_self(login_as: Any, cast: Any, session: Any) -> None:
    response = login_as(cast.admin).post(f"/admin/users/{cast.admin.id}/edit", data={
        "name": "Ada", "role": "leader", "active": "y"})
    assert response.status_code == 200
    session.refresh(cast.admin)
    assert cast.admin.role == "admin"


def test_non_admins_get_403(login_as: Any, cast: Any) -> None:
    for user in (cast.am1, cast.analyst, cast.leader):
        client = login_as(user)
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users/new", data={}).status_code == 403
        assert client.post(f"/admin/users/{cast.am1.id}/edit", data={}).status_code == 403


def test_create_user_command(runner: Any, session: Any) -> None:
    result = runner.invoke(args=["create-user", "cli@example.com", "--name", "Cli",
                                 "--role", "leader"], input="a-long-password\n")
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "cli@example.com")).one()
    assert user.role == "leader"


def test_create_user_command_rejects_short_password(runner: Any) -> None:
    result = runner.invoke(args=["create-user", "cli@example.com"], input="short\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_a_new_password_signs_out_every_session_with_the_old_one(client: Any, cast: Any,
                                                                  login_as: Any,
                                                                  session: Any) -> None:
    from .factories import PASSWORD

    # Signed in through the login form, with "keep me signed in".
    assert client.post("/login", data={"email": "am2@example.com", "password": PASSWORD,
                                        "remember": "y"}).status_code == 302
    assert client.get("/").status_code == 200
    other_user = login_as(cast.am1)

    admin = login_as(cast.admin)
    response = admin.post(f"/admin/users/{cast.am2.id}/edit", data={
        "name": "Bob Manager", "role": "account_manager", "active": "y",
        "password": "a-brand-new-password"})
    assert response.status_code == 302

    # Neither the session nor the remember-me cookie signs the old password's holder in.
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302
    # Other people stay signed in, and the new password works.
    assert other_user.get("/").status_code == 200
    assert admin.get("/admin/users").status_code == 200
    assert client.post("/login", data={"email": "am2@example.com",
                                       "password": "a-brand-new-password"}).status_code == 302
    assert client.get("/").status_code == 200


def test_an_admin_who_changes_their_own_password_stays_signed_in(client: Any, cast: Any,
                                                                 login_as: Any) -> None:
    from .factories import PASSWORD

    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                        "remember": "y"}).status_code == 302
    elsewhere = login_as(cast.admin)  # the same admin in another browser
    response = client.post(f"/admin/users/{cast.admin.id}/edit", data={
        "name": "Ada Admin", "role": "admin", "active": "y",
        "password": "my-own-new-password"})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").status_code == 302  # signed out there
    # The renewed "keep me signed in" cookie works without the session.
    with client.session_transaction() as browser_session:
        browser_session.clear()
    assert client.get("/admin/users").status_code == 200
