"""Shared fixtures: app, client, runner, a fresh database per test, a cast of users,
a live server and a headless Chromium page; an SMTP server, job queue settings and a real
worker process; and the helpers several test modules use.

The database is PostgreSQL when VALUETRACKER_TEST_DATABASE_URL is set (CI's second
run), else a SQLite file. The schema is built once per session through the Alembic
migrations (so the migrations are tested too); every test starts with empty tables.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, func, select
from werkzeug.serving import make_server

from valuetracker import create_app
from valuetracker.db import make_engine, upgrade_database
from valuetracker.models import Account, Stakeholder, User, metadata
from valuetracker.search import clear_index

from . import speedups
from .factories import PASSWORD, make_account, make_stakeholder, make_user
from .factories.scenarios import Seeded, seed_quarter
from .route_world import world  # noqa: F401 - the route matrix's rows, a fixture by name

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pypdf import PdfReader

# Production is the default; the suite (and the worker processes it starts) runs as a
# development installation unless a test asks for production.
os.environ.setdefault("VALUETRACKER_ENV", "development")

# Each test's fresh app reuses the URL builders and compiled templates of the apps before
# it in this process (same code, compiled once; see tests/speedups.py).
speedups.install()

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


def _xdist_worker() -> int | None:
    """This process's number under pytest-xdist (`-n 2`: gw0, gw1), None when alone."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") else None


def _own_database(url: str, worker: int) -> str:
    """The PostgreSQL database of xdist worker N beside the configured one (`<db>_gwN`,
    created if missing), so that parallel workers never share tables."""
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_gw{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                        {"name": name}).first() is None:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("VALUETRACKER_TEST_DATABASE_URL")
    if url:
        if (worker := _xdist_worker()) is not None:  # parallel run: one database each
            url = _own_database(url, worker)
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
    url = os.environ.get("VALUETRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if (worker := _xdist_worker()) is None:
        return url
    # Parallel run: xdist worker N uses the database numbered N above the configured one
    # (below it when that would pass Redis's last database, 15).
    parsed = sa.engine.make_url(url)
    base = int(parsed.database or 0)
    db = base + worker if base + worker <= 15 else base - worker
    assert 0 <= db <= 15, f"{url}: no Redis database for worker gw{worker}"
    return parsed.set(database=str(db)).render_as_string(hide_password=False)


def empty_all_tables(engine: sa.Engine) -> None:
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
        clear_index(conn)  # a TRUNCATE fires no trigger: the search index is emptied too


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
        # Signals are refreshed by the tests that check them (test_signals_jobs.py).
        "SIGNALS_REFRESH_AFTER_WRITES": False,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PUBLIC_RATE_LIMIT": "1000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    engine = app.extensions["valuetracker.engine"]
    empty_all_tables(engine)
    yield app
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
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
    """Sign `user` in on `client` (a live server-side session, as the login form starts;
    the login form has its own tests)."""
    from valuetracker.db import session_scope
    from valuetracker.sessions import start_session

    with session_scope(client.application.extensions["valuetracker.engine"]) as db_session:
        token = start_session(db_session, user)
        db_session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.get_id()}:{token}"
        sess["_fresh"] = True
    return client


@pytest.fixture
def login_as(app: Flask) -> Callable[[User], FlaskClient]:
    """login_as(user) -> a new test client signed in as that user."""

    def _login(user: User) -> FlaskClient:
        return login(app.test_client(), user)

    return _login


def free_port() -> int:
    """A loopback port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app_config: dict[str, Any]) -> Iterator[str]:
    """The real app (CSRF on) served on a loopback port; yields its base URL."""
    config = dict(app_config, WTF_CSRF_ENABLED=True, TESTING=False)
    port = free_port()
    config["BASE_URL"] = f"http://127.0.0.1:{port}"
    live_app = create_app(config)
    empty_all_tables(live_app.extensions["valuetracker.engine"])
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield config["BASE_URL"]
    server.shutdown()
    thread.join(timeout=5)
    live_app.extensions["valuetracker.engine"].dispose()


@pytest.fixture
def page() -> Iterator[Page]:
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


def browser_login(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form of the live server at `base_url`."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp(app_config: dict[str, Any]) -> Iterator[Inbox]:
    """A real SMTP server on loopback that the app (built after it) sends through."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


class Receiver:
    """A webhook receiver on loopback: keeps every request (path, headers, body) and
    answers each with the next of `statuses` (then 200); `/moved` answers a redirect."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.url = ""
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        body = request.get_data()
        path = request.path
        with self.lock:
            if path == "/moved":
                start_response("302 Found", [("Location", self.url + "/elsewhere")])
                self.requests.append((path, dict(request.headers), body))
                return [b""]
            self.requests.append((path, dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"x" * 5000 if status >= 500 else b"ok"]

    def bodies(self, path: str = "/hook") -> list[bytes]:
        return [body for p, _h, body in self.requests if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on a loopback port receiving webhook deliveries."""
    hook = Receiver()
    port = free_port()
    hook.url = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, hook, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def queued_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Tasks wait in the SQLite queue for a worker (not run at once); a failed item is
    retried without delay."""
    app_config.update(HUEY_IMMEDIATE=False, JOB_RETRY_DELAY=0)
    return app_config


VENV_BIN = Path(sys.executable).parent


def worker_env(config: dict[str, Any], *, instance_path: str | None = None,
               redis: bool = False) -> dict[str, str]:
    """The environment of a `valuetracker` process on these test settings: their database,
    folders, queue (the SQLite file, or with `redis` their REDIS_URL if set) and mail."""
    env = dict(os.environ,
               VALUETRACKER_ENV="testing",
               VALUETRACKER_SECRET_KEY=config["SECRET_KEY"],
               VALUETRACKER_INSTANCE_PATH=instance_path or config["INSTANCE_PATH"],
               VALUETRACKER_DATABASE_URL=config["DATABASE_URL"],
               VALUETRACKER_REPORTS_DIR=config["REPORTS_DIR"],
               VALUETRACKER_HUEY_SQLITE_PATH=config["HUEY_SQLITE_PATH"])
    env.pop("VALUETRACKER_REDIS_URL", None)
    if redis and config.get("REDIS_URL"):
        env["VALUETRACKER_REDIS_URL"] = config["REDIS_URL"]
    if config.get("MAIL_SERVER"):
        env.update(VALUETRACKER_MAIL_SERVER=config["MAIL_SERVER"],
                   VALUETRACKER_MAIL_PORT=str(config["MAIL_PORT"]))
    return env


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    """Poll `check` until it returns something true (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}")


def start_worker(config: dict[str, Any], workers: int = 1, *,
                 heartbeat_interval: float | None = None,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    """A real `valuetracker worker` on the SQLite queue of these test settings, sending
    mail through their server; it beats every `heartbeat_interval` seconds if given, and
    writes its output to `log` if given."""
    env = worker_env(config)
    if heartbeat_interval is not None:
        env["VALUETRACKER_HEARTBEAT_INTERVAL"] = str(heartbeat_interval)
    command = [str(VENV_BIN / "valuetracker"), "worker", "--workers", str(workers)]
    # Its own process group, so the test can signal the consumer and its workers at once.
    if log is None:
        return subprocess.Popen(command, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, start_new_session=True, stdout=out,
                                stderr=subprocess.STDOUT)


def stop_worker(proc: subprocess.Popen[bytes], sig: int) -> int:
    """Send `sig` to the worker's process group and wait for it; its exit status."""
    with contextlib.suppress(ProcessLookupError):  # the worker may have exited already
        os.killpg(proc.pid, sig)
    return proc.wait(30)


@pytest.fixture
def seeded(session: Session, cast: Cast) -> Seeded:
    """2026-Q3 seeded for the exports (factories.scenarios.seed_quarter)."""
    return seed_quarter(session, cast)


def run_import(runner: FlaskCliRunner, *args: Any) -> Any:
    """`valuetracker import ARGS...` through the CLI runner; the click result."""
    return runner.invoke(args=["import", *map(str, args)])


def count_rows(session: Session, model: Any = Account) -> int:
    """How many rows `model` has now (the session forgets what it had loaded)."""
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


@contextlib.contextmanager
def sql_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, in order (for query counts)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


# What the top bar of every signed-in page reads: the unread notifications' count and
# the saved views' menu (one indexed query each, then kept until their tables change).
MENU_TABLES = ("FROM notification", "FROM saved_view")


def get_statements(app: Flask, client: FlaskClient, url: str, *,
                   without_menu: bool = False) -> list[str]:
    """The SQL statements one GET of `url` runs (`without_menu`: leaving out the top
    bar's, so a count speaks of the page itself); the page must answer 200."""
    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if without_menu:
        return [s for s in statements if not any(t in s for t in MENU_TABLES)]
    return statements


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    """A PDF's reader and its text, whitespace collapsed to single spaces."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())
