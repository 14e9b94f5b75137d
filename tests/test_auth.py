"""Login, logout, rate limiting, audit of logins, security headers and error pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from valuetracker import create_app
from valuetracker.models import AuditEvent

from .factories import PASSWORD


def test_login_page_renders(client: Any) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_login_success_records_audit_and_last_login(client: Any, cast: Any, session: Any) -> None:
    response = client.post("/login", data={"email": "AM1@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert [e.user_id for e in events] == [cast.am1.id]
    session.refresh(cast.am1)
    assert cast.am1.last_login_at is not None


def test_login_failure_rerenders_with_error_and_audits(
    client: Any, cast: Any, session: Any
) -> None:
    response = client.post("/login", data={"email": "am1@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert b"Email or password is not correct." in response.data
    response = client.post("/login", data={"email": "nobody@example.com", "password": "x"})
    assert b"Email or password is not correct." in response.data
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failed) == 2


def test_deactivated_user_cannot_log_in(client: Any, cast: Any, session: Any) -> None:
    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    response = client.post("/login", data={"email": "am1@example.com", "password": PASSWORD})
    assert b"Email or password is not correct." in response.data


def test_open_redirect_is_refused(client: Any, cast: Any) -> None:
    response = client.post("/login?next=//evil.example/x",
                           data={"email": "am1@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logout_is_post_only(login_as: Any, cast: Any) -> None:
    client = login_as(cast.am1)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302  # back to login


def test_login_rate_limited(app_config: dict[str, Any], cast: Any) -> None:
    app = create_app(dict(app_config, LOGIN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    codes = [client.post("/login", data={"email": "am1@example.com", "password": "bad"})
             .status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    app.extensions["valuetracker.engine"].dispose()


def test_security_headers(client: Any) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(login_as: Any, cast: Any) -> None:
    body = login_as(cast.admin).get("/admin/users").get_data(as_text=True)
    assert "<script>" not in body and "onclick" not in body


def test_csrf_required_when_enabled(app_config: dict[str, Any], cast: Any) -> None:
    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    response = app.test_client().post("/login", data={"email": "am1@example.com",
                                                      "password": PASSWORD})
    assert response.status_code == 400
    assert b"The form expired" in response.data
    app.extensions["valuetracker.engine"].dispose()


def test_404_page_in_app_style(client: Any) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"valuetracker" in response.data and b"Not found" in response.data


def test_production_without_secret_fails_loudly(app_config: dict[str, Any]) -> None:
    config = dict(app_config, ENV="production", SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="VALUETRACKER_SECRET_KEY"):
        create_app(config)


def test_passwords_hashed_with_argon2id(cast: Any) -> None:
    assert cast.am1.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\t/evil.example/x",
                                    "/\n/evil.example", "https://evil.example/"])
def test_open_redirect_tricks_are_refused(client: Any, cast: Any, target: str) -> None:
    """Browsers turn "/\\host" and "/<tab>/host" into "//host"; they must not pass."""
    from urllib.parse import quote

    response = client.post("/login?next=" + quote(target, safe=""),
                           data={"email": "am1@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_local_next_is_followed(client: Any, cast: Any) -> None:
    response = client.post("/login?next=" + "/portfolio%3Fsegment%3DSMB",
                           data={"email": "am1@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/portfolio?segment=SMB"


@pytest.mark.parametrize("base_url, secure", [("https://vt.example.com", True),
                                              ("http://127.0.0.1:5000", False)])
def test_session_cookies_are_secure_behind_https(app_config: dict[str, Any], cast: Any,
                                                 base_url: str, secure: bool) -> None:
    app = create_app(dict(app_config, BASE_URL=base_url))
    response = app.test_client().post("/login", data={
        "email": "am1@example.com", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2  # the session and the remember-me cookie
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("; Secure" in cookie) is secure, cookie
    app.extensions["valuetracker.engine"].dispose()
