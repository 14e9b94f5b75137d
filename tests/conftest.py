"""Shared fixtures: app, client, runner, a fresh database per test, a cast of users,
a live server and a headless Chromium page.

The database is PostgreSQL when VALUETRACKER_TEST_DATABASE_URL is set (CI's second
run), else a SQLite file. The schema is built once per session through the Alembic
migrations (so the migrations are tested too); every test starts with empty tables.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.serving import make_server

from valuetracker import create_app
from valuetracker.db import make_engine, upgrade_database
from valuetracker.models import Account, Stakeholder, User, metadata

from .factories import PASSWORD, make_account, make_stakeholder, make_user

# Production is the default; the suite (and the worker processes it starts) runs as a
# development installation unless a test asks for production.
os.environ.setdefault("VALUETRACKER_ENV", "development")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("VALUETRACKER_TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("VALUETRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _empty_all_tables(engine: sa.Engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            ))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
            if _has_sqlite_sequence(conn):
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))


def _has_sqlite_sequence(conn: sa.Connection) -> bool:
    return conn.execute(sa.text(
        "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'"
    )).first() is not None


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test settings; a test may change them before `app` is built."""
    return {
        "TESTING": True,
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "REPORTS_DIR": str(tmp_path / "reports"),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "HUEY_SQLITE_PATH": str(tmp_path / "jobs.sqlite"),
        "HUEY_IMMEDIATE": True,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PUBLIC_RATE_LIMIT": "1000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    engine = app.extensions["valuetracker.engine"]
    _empty_all_tables(engine)
    yield app
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session for arranging and checking rows directly (not the app's request session)."""
    with Session(app.extensions["valuetracker.engine"], expire_on_commit=False) as s:
        yield s


@dataclass
class Cast:
    """Users with different rights and the accounts they own (permission tests)."""

    am1: User
    am2: User
    analyst: User
    leader: User
    admin: User
    account1: Account  # owned by am1
    account2: Account  # owned by am2
    stakeholder1: Stakeholder
    stakeholder2: Stakeholder

    @property
    def everyone(self) -> list[User]:
        return [self.am1, self.am2, self.analyst, self.leader, self.admin]


@pytest.fixture
def cast(session: Session) -> Cast:
    am1 = make_user(session, "account_manager", email="am1@example.com", name="Alice Manager")
    am2 = make_user(session, "account_manager", email="am2@example.com", name="Bob Manager")
    analyst = make_user(session, "analyst", email="analyst@example.com", name="Ann Analyst")
    leader = make_user(session, "leader", email="leader@example.com", name="Leo Leader")
    admin = make_user(session, "admin", email="admin@example.com", name="Ada Admin")
    account1 = make_account(session, "Acme Corp", owner=am1, segment="Enterprise")
    account2 = make_account(session, "Globex", owner=am2, segment="Mid-market")
    s1 = make_stakeholder(session, account1, "Carol Buyer", buying_role="economic_buyer",
                          is_key=True)
    s2 = make_stakeholder(session, account2, "Dan Champion", buying_role="champion",
                          is_key=True)
    session.commit()
    return Cast(am1, am2, analyst, leader, admin, account1, account2, s1, s2)


def login(client: FlaskClient, user: User) -> FlaskClient:
    """Sign `user` in on `client` (through the session; the login form has its own tests)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


@pytest.fixture
def login_as(app: Flask) -> Any:
    """login_as(user) -> a new test client signed in as that user."""

    def _login(user: User) -> FlaskClient:
        return login(app.test_client(), user)

    return _login


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app_config: dict[str, Any]) -> Iterator[str]:
    """The real app (CSRF on) served on a loopback port; yields its base URL."""
    config = dict(app_config, WTF_CSRF_ENABLED=True, TESTING=False)
    port = _free_port()
    config["BASE_URL"] = f"http://127.0.0.1:{port}"
    live_app = create_app(config)
    _empty_all_tables(live_app.extensions["valuetracker.engine"])
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield config["BASE_URL"]
    server.shutdown()
    thread.join(timeout=5)
    live_app.extensions["valuetracker.engine"].dispose()


@pytest.fixture
def page() -> Iterator[Any]:
    """A headless Chromium page (Debian's chromium, driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def browser_login(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
