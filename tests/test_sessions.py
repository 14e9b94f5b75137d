"""Sessions end on the server: after sign-out a copied session or remember-me cookie is
worth nothing; an admin can end all of a user's sessions; deactivating a user ends them.
Every form is submitted with the fields the page renders."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from valuetracker.models import AuditEvent, User, UserSession

from .conftest import Cast
from .factories import PASSWORD
from .rendered import rendered_form, rendered_forms


def _form(html: str, action_part: str) -> tuple[str, Any]:
    """(action, the data a browser submits) of the page's one POST form to that action."""
    (form,) = [f for f in rendered_forms(html) if f.method == "post" and action_part in f.action]
    return form.action, form.data()


def _sign_in(app: Flask, email: str, *, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    forms = re.findall(r"<form[^>]*>(.*?)</form>", html, re.S)
    (login,) = [f for f in forms if 'type="password"' in f]
    names = set(re.findall(r'name="([^"]+)"', login))
    assert {"email", "password", "remember"} <= names
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def test_sign_out_ends_the_session_and_its_remember_me_cookie(app: Flask, cast: Cast) -> None:
    client = _sign_in(app, cast.am1.email, remember=True)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert _signed_in(client)

    action, fields = _form(client.get("/").get_data(as_text=True), "/logout")
    assert client.post(action, data=fields).status_code == 302
    assert not _signed_in(client)

    stolen = app.test_client()
    stolen.set_cookie("session", session_cookie)
    assert stolen.get("/").status_code == 302  # to the sign-in page
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember_cookie)
    assert stolen.get("/").status_code == 302

    other = _sign_in(app, cast.am1.email)  # a new sign-in works as before
    assert _signed_in(other)


def test_an_admin_ends_every_session_of_a_user(app: Flask, cast: Cast, login_as: Any,
                                               session: Session) -> None:
    laptop = _sign_in(app, cast.am1.email)
    phone = _sign_in(app, cast.am1.email, remember=True)
    assert _signed_in(laptop) and _signed_in(phone)

    admin = login_as(cast.admin)
    page = admin.get(f"/admin/users/{cast.am1.id}/edit").get_data(as_text=True)
    assert 'data-live-sessions="2"' in page
    action, fields = _form(page, "/sessions/end")
    answer = admin.post(action, data=fields, follow_redirects=True)
    assert f"Ended 2 session(s) of {cast.am1.email}." in answer.get_data(as_text=True)
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(admin)  # the admin's own session is not touched
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "end_sessions")).one()
    assert event.user_id == cast.admin.id and event.entity_id == str(cast.am1.id)


def test_deactivating_a_user_ends_their_sessions(app: Flask, cast: Cast, login_as: Any,
                                                 session: Session) -> None:
    user_client = _sign_in(app, cast.am2.email, remember=True)
    remember_cookie = user_client.get_cookie("remember_token").value
    admin = login_as(cast.admin)
    page = admin.get(f"/admin/users/{cast.am2.id}/edit").get_data(as_text=True)
    form = rendered_form(page, having="role")  # action="": this page
    assert form.value("active") == "y"
    fields = form.data()
    fields.pop("active")  # untick "Active (may log in)"
    assert admin.post(f"/admin/users/{cast.am2.id}/edit", data=fields).status_code == 302
    assert not _signed_in(user_client)
    live = session.exec(select(UserSession).where(UserSession.user_id == cast.am2.id,
                                                  UserSession.ended_at.is_(None))).all()
    assert live == []

    # Active again: the old cookies stay dead; a new sign-in is needed.
    user = session.get(User, cast.am2.id)
    session.refresh(user)
    user.active = True
    session.commit()
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember_cookie)
    assert stolen.get("/").status_code == 302
