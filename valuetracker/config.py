"""Settings: defaults, then `VALUETRACKER_*` environment variables.

`create_app` layers `instance/config.py` and the test mapping on top of these.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "VALUETRACKER_"

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
}


def defaults(instance_path: Path) -> dict[str, object]:
    """Safe defaults for a laptop installation (SQLite, outbox mail, SQLite queue)."""
    return {
        "ENV": "development",
        "DATABASE_URL": f"sqlite:///{instance_path / 'valuetracker.sqlite'}",
        "SECRET_KEY": None,
        "REDIS_URL": None,
        "REPORTS_DIR": str(ROOT / "reports"),
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
        "LOGIN_RATE_LIMIT": "10 per minute",
        "PUBLIC_RATE_LIMIT": "30 per minute",
        "PDF_RENDER_TIMEOUT": 60,
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
            found[name] = convert(raw)
    return found
