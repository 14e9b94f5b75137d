"""Behind a reverse proxy (TRUSTED_PROXIES) and the sign-in throttling: failed attempts
limited per (client address, email) and per email, never locking out a colleague.

Requests from the test client come from 127.0.0.1, the proxy; the clients behind it are
told apart by the X-Forwarded-For header the proxy would add. The forms are filled the
way the page renders them: GET /login, read its fields and CSRF token, post them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, request, url_for
from flask.testing import FlaskClient
from sqlmodel import select

from valuetracker import create_app
from valuetracker.models import AuditEvent

from .factories import PASSWORD

LOCKED_OUT = "Too many failed sign-ins for this account."
REFUSED = "Email or password is not correct."


@dataclass
class RenderedForm:
    method: str
    action: str
    inputs: list[dict[str, str]] = field(default_factory=list)


class _FormReader(HTMLParser):
    """The page's forms with their <input> elements' attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[RenderedForm] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(RenderedForm(values.get("method", "get").lower(),
                                           values.get("action", "")))
        elif tag == "input" and self.forms:
            self.forms[-1].inputs.append(values)


def login_form(html: str) -> RenderedForm:
    """The sign-in form of a page: the one form with a password field."""
    reader = _FormReader()
    reader.feed(html)
    forms = [f for f in reader.forms if any(i.get("type") == "password" for i in f.inputs)]
    assert len(forms) == 1, html
    return forms[0]


def sign_in(client: FlaskClient, email: str, password: str,
            forwarded_for: str | None = None) -> Any:
    """Open the sign-in page and submit its form as rendered, through the proxy."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = client.get("/login", headers=headers)
    assert page.status_code == 200
    form = login_form(page.get_data(as_text=True))
    assert form.method == "post"
    data: dict[str, str] = {}
    for element in form.inputs:
        kind = element.get("type", "text")
        if kind == "email":
            data[element["name"]] = email
        elif kind == "password":
            data[element["name"]] = password
        elif kind == "hidden":
            data[element["name"]] = element.get("value", "")
        # The "keep me signed in" checkbox stays unticked, so it is not sent.
    return client.post(form.action or "/login", data=data, headers=headers)


@pytest.fixture
def make_app(app_config: dict[str, Any], cast: Any) -> Iterator[Callable[..., Flask]]:
    """make_app(**settings): the app behind one trusted proxy, CSRF on, the shipped
    sign-in limits (not the suite's relaxed one) unless `settings` says otherwise."""
    built: list[Flask] = []
    base = {k: v for k, v in app_config.items() if k != "LOGIN_RATE_LIMIT"}

    def _make(**settings: Any) -> Flask:
        app = create_app({**base, "TRUSTED_PROXIES": 1, "WTF_CSRF_ENABLED": True,
                          **settings})
        built.append(app)
        return app

    yield _make
    for app in built:
        app.extensions["valuetracker.engine"].dispose()


def _start_page(app: Flask) -> str:
    with app.test_request_context():
        return url_for("work.my_work")  # where signing in lands


def _assert_locked_out(response: Any) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert LOCKED_OUT in body and "ask an administrator" in body
    assert "Traceback" not in body
    assert response.headers.get("Retry-After", "").isdigit()
    form = login_form(body)  # the form is there to try again
    assert {i.get("type") for i in form.inputs} >= {"email", "password"}


def test_one_persons_failures_behind_the_proxy_lock_out_nobody_else(
    make_app: Callable[..., Flask], cast: Any, session: Any
) -> None:
    app = make_app()
    assert app.config["LOGIN_RATE_LIMIT"] == "10 per minute"
    office = "203.0.113.7"
    alice = app.test_client()
    for _ in range(10):
        response = sign_in(alice, "am1@example.com", "wrong", forwarded_for=office)
        assert response.status_code == 200
        assert REFUSED in response.get_data(as_text=True)
    _assert_locked_out(sign_in(alice, "am1@example.com", "wrong", forwarded_for=office))
    # Over the limit even the right password is not tried from that address.
    _assert_locked_out(sign_in(alice, "am1@example.com", PASSWORD, forwarded_for=office))

    # A colleague at the same office address, and another one elsewhere, sign in.
    for email, address in (("am2@example.com", office), ("analyst@example.com", "198.51.100.20")):
        colleague = app.test_client()
        response = sign_in(colleague, email, PASSWORD, forwarded_for=address)
        assert response.status_code == 302
        assert response.headers["Location"] == _start_page(app)
        assert colleague.get("/").status_code == 200

    # The lock is on (office address, am1), not on am1 from anywhere.
    response = sign_in(app.test_client(), "am1@example.com", PASSWORD,
                       forwarded_for="198.51.100.20")
    assert response.status_code == 302

    # The audit trail names the client behind the proxy, not the proxy.
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failed) == 10 and {e.ip for e in failed} == {office}


def test_failures_for_one_email_from_many_addresses_reach_the_account_limit(
    make_app: Callable[..., Flask], cast: Any
) -> None:
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="4 per hour")
    client = app.test_client()
    # The same account however it is spelled: stored and looked up lower-case.
    for n, email in enumerate(["am1@example.com", "AM1@example.com", "Am1@Example.com",
                               "am1@EXAMPLE.COM"]):
        response = sign_in(client, email, "guess", forwarded_for=f"192.0.2.{n + 1}")
        assert response.status_code == 200
    _assert_locked_out(sign_in(client, "am1@example.com", "guess", forwarded_for="192.0.2.50"))
    _assert_locked_out(sign_in(app.test_client(), "am1@example.com", PASSWORD,
                               forwarded_for="192.0.2.51"))
    # Another account, even from an address the guesser used, is not affected.
    response = sign_in(app.test_client(), "am2@example.com", PASSWORD, forwarded_for="192.0.2.1")
    assert response.status_code == 302


@pytest.mark.parametrize("proxies, address, scheme, host", [
    (0, "127.0.0.1", "http", "localhost"),
    (1, "203.0.113.9", "https", "vt.example.com"),
])
def test_forwarded_headers_count_only_from_trusted_proxies(
    make_app: Callable[..., Flask], cast: Any,
    proxies: int, address: str, scheme: str, host: str
) -> None:
    app = make_app(TRUSTED_PROXIES=proxies)
    # A client's own X-Forwarded-For value comes first; the proxy appends what it saw.
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "vt.example.com"}
    with app.test_client() as client:
        client.get("/login", headers=headers)
        assert (request.remote_addr, request.scheme, request.host) == (address, scheme, host)


def test_without_trusted_proxies_forwarded_for_cannot_dodge_the_limit(
    make_app: Callable[..., Flask], cast: Any, session: Any
) -> None:
    app = make_app(TRUSTED_PROXIES=0, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for spoofed in ("192.0.2.1", "192.0.2.2"):
        assert sign_in(client, "am1@example.com", "wrong", forwarded_for=spoofed).status_code \
            == 200
    _assert_locked_out(sign_in(client, "am1@example.com", "wrong", forwarded_for="192.0.2.3"))
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert {e.ip for e in failed} == {"127.0.0.1"}


def test_successful_sign_ins_do_not_count(make_app: Callable[..., Flask], cast: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    for _ in range(4):
        assert sign_in(app.test_client(), "am1@example.com", PASSWORD,
                       forwarded_for="203.0.113.7").status_code == 302
    client = app.test_client()
    for _ in range(3):
        assert sign_in(client, "am1@example.com", "wrong", forwarded_for="203.0.113.7") \
            .status_code == 200
    _assert_locked_out(sign_in(client, "am1@example.com", "wrong", forwarded_for="203.0.113.7"))


@pytest.mark.parametrize("body", [
    b"",
    b"password=x",
    b"email=&password=x",
    b"email=%FF%FE%00&password=x",
    b"email=" + b"a" * 300_000 + b"%40example.com&password=x",
    b"email=am1%40example.com&email=am2%40example.com",
], ids=["empty", "no-email", "blank-email", "bad-bytes", "huge-email", "no-password"])
def test_missing_or_garbage_email_is_refused_and_not_counted(
    make_app: Callable[..., Flask], cast: Any, body: bytes
) -> None:
    """Forms no browser sends: refused by validation, never a password check, so never
    counted (and never a 500)."""
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    # A NUL byte is refused before any view (400, security.refuse_nul_bytes).
    expected = 400 if b"%00" in body else 200
    for _ in range(2):
        response = client.post("/login", data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == expected
    assert client.post("/login", data={"email": "am1@example.com", "password": "wrong"}) \
        .status_code == 200
    _assert_locked_out(client.post("/login", data={"email": "am1@example.com",
                                                   "password": "wrong"}))


def test_limits_in_redis_hold_no_email_addresses(
    make_app: Callable[..., Flask], cast: Any, redis_url: str
) -> None:
    import redis

    prefix = f"vt-test-login-{uuid.uuid4().hex[:8]}"
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix,
                   LOGIN_RATE_LIMIT="2 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    store = redis.Redis.from_url(redis_url)
    try:
        client = app.test_client()
        for _ in range(2):
            assert sign_in(client, "am1@example.com", "wrong", forwarded_for="192.0.2.1") \
                .status_code == 200
        _assert_locked_out(sign_in(client, "am1@example.com", "wrong", forwarded_for="192.0.2.1"))
        # From elsewhere the per-address limit is fresh, until the account's is used up.
        assert sign_in(client, "am1@example.com", "wrong", forwarded_for="192.0.2.2") \
            .status_code == 200
        _assert_locked_out(sign_in(client, "am1@example.com", PASSWORD,
                                   forwarded_for="192.0.2.3"))
        assert sign_in(app.test_client(), "am2@example.com", PASSWORD,
                       forwarded_for="192.0.2.1").status_code == 302

        keys = [k.decode() for k in store.scan_iter(match=f"*{prefix}*")]
        assert len(keys) == 3  # (192.0.2.1, am1), (192.0.2.2, am1), am1
        assert all("example.com" not in k and len(k) < 200 for k in keys), keys
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()
