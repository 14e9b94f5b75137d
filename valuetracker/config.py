"""Settings: defaults, then `VALUETRACKER_*` environment variables, and where the
app's own files are.

`create_app` layers `instance/config.py` and the test mapping on top of these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "VALUETRACKER_"
ENVIRONMENTS = ("production", "development", "testing")
# The shortest secret key production accepts (a 32-byte hex token has 64 characters).
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting the app cannot run with; the message is one line saying what to set."""


def _templates_dir() -> Path:
    """The web pages, e-mail texts and PDF layouts.

    A checkout (editable install or not) keeps them in the repository's top-level
    `templates/`; a built wheel carries the same folder inside the package (setup.py).
    Static files, fonts and migrations are inside the package in both cases.
    """
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


TEMPLATES_DIR = _templates_dir()
STATIC_DIR = PACKAGE_DIR / "static"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def instance_path(test_config: Mapping[str, object] | None = None,
                  environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder: the database, job queue, outbox, uploads and a development
    secret live here. `VALUETRACKER_INSTANCE_PATH`, else `instance/` in the working
    directory (never beside the installed code)."""
    environ = os.environ if environ is None else environ
    configured = (test_config or {}).get("INSTANCE_PATH") or environ.get(
        PREFIX + "INSTANCE_PATH")
    return Path(str(configured) if configured else "instance").resolve()

# Settings read from the environment: name -> converter.
_ENV_SETTINGS: dict[str, type] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "REDIS_URL": str,
    "REPORTS_DIR": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_SENDER": str,
    "MAIL_USE_TLS": lambda v: v.lower() in ("1", "true", "yes"),  # type: ignore[dict-item]
    "FISCAL_YEAR_START_MONTH": int,
    "CURRENCY": str,
    "ENV": str,
    "BASE_URL": str,
    "HUEY_SQLITE_PATH": str,  # the job queue's SQLite file (summaries helper)
    "FIGURE_CACHE_SIZE": int,
    "TRUSTED_PROXIES": int,  # reverse proxies in front that set X-Forwarded-* (ProxyFix)
    "HEARTBEAT_INTERVAL": float,  # seconds between a worker's heartbeats
    "LINK_REMINDER_DAYS": int,  # days before an unanswered link gets its one reminder
    "SIGNALS_REFRESH_MINUTES": int,  # the worker refreshes every account's signals (0 = off)
    # Refresh the written accounts' signals after each commit.
    "SIGNALS_REFRESH_AFTER_WRITES": lambda v: v.lower() in ("1", "true", "yes"),  # type: ignore[dict-item]
}


def defaults(instance_path: Path) -> dict[str, object]:
    """Defaults: production rules, with a laptop's parts (SQLite, outbox mail, SQLite
    queue). Relative folders are taken from the working directory."""
    return {
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{instance_path / 'valuetracker.sqlite'}",
        "SECRET_KEY": None,
        "REDIS_URL": None,
        "REPORTS_DIR": str(Path("reports").resolve()),
        "OUTBOX_DIR": str(instance_path / "outbox"),
        "HUEY_SQLITE_PATH": str(instance_path / "jobs.sqlite"),
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_SENDER": "valuetracker@localhost",
        "MAIL_USE_TLS": False,
        "FISCAL_YEAR_START_MONTH": 1,
        "CURRENCY": "USD",
        "BASE_URL": "http://127.0.0.1:5000",
        "PAGE_SIZE": 25,
        "LINK_MAX_AGE_DAYS": 14,
        # An unanswered link gets one reminder this many days after it was sent (0 = none).
        "LINK_REMINDER_DAYS": 7,
        # The worker refreshes every account's signals this often (minutes; 0 = never),
        # and the accounts a transaction wrote right after it commits.
        "SIGNALS_REFRESH_MINUTES": 60,
        "SIGNALS_REFRESH_AFTER_WRITES": True,
        # Failed sign-ins: per client address and account, and per account from anywhere.
        "LOGIN_RATE_LIMIT": "10 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "50 per hour",
        "TRUSTED_PROXIES": 0,
        "PUBLIC_RATE_LIMIT": "30 per minute",
        "PDF_RENDER_TIMEOUT": 60,
        "HEARTBEAT_INTERVAL": 10.0,
        # Portfolio-wide figures kept per process until the data changes (0 = off).
        "FIGURE_CACHE_SIZE": 256,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    }


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Settings present in the environment, converted to their types."""
    environ = os.environ if environ is None else environ
    found: dict[str, object] = {}
    for name, convert in _ENV_SETTINGS.items():
        raw = environ.get(PREFIX + name)
        if raw not in (None, ""):
            try:
                found[name] = convert(raw)
            except ValueError:
                kind = "a whole number" if convert is int else "a number"
                raise ConfigError(f"{PREFIX}{name}={raw!r} is not valid: "
                                  f"it must be {kind}.") from None
    return found
