"""valuetracker: value delivery, stakeholder coverage and win/loss analysis.

`create_app` reads like a table of contents: settings, extensions, blueprints,
error handlers, template helpers, commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .config import STATIC_DIR, TEMPLATES_DIR, ConfigError

__all__ = ["ConfigError", "create_app"]

# One blueprint per area; each module under views/ defines `bp`.
BLUEPRINTS = (
    "auth",
    "work",
    "admin",
    "accounts",
    "stakeholders",
    "activities",
    "imports",
    "value",
    "portfolio",
    "public",
    "winloss",
    "summaries",
    "exports",
    "jobs",
    "survey",
    "search",
    "tasks",
    "notifications",
    "api",
    "api_tokens",
    "webhooks",
    "saved_views",
    "value_lists",
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app. Raises ConfigError (one line saying what to set) on unusable settings."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
        instance_path=str(config_module.instance_path(test_config)),
        instance_relative_config=True,
    )
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Defaults, then the environment, then instance/config.py, then the test mapping."""
    app.config.from_mapping(config_module.defaults(Path(app.instance_path)))
    app.config.from_mapping(config_module.from_environment())
    app.config.from_pyfile("config.py", silent=True)
    if test_config is not None:
        app.config.from_mapping(test_config)
    from .security import configure_cookies, configure_secret_key

    configure_secret_key(app)
    configure_cookies(app)


def register_extensions(app: Flask) -> None:
    from . import cache, db
    from .extensions import csrf, limiter, login_manager
    from .rollups import deals as deal_rollups
    from .rollups import maintain as rollups_maintain
    from .security import configure_proxies, refuse_nul_bytes, set_security_headers
    from .signals import jobs as signal_jobs

    configure_proxies(app)
    db.init_app(app)
    cache.init_app(app)
    rollups_maintain.install()
    deal_rollups.install()
    signal_jobs.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in this process's memory rather than fail every sign-in with 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.after_request(set_security_headers)
    app.before_request(refuse_nul_bytes)  # PostgreSQL refuses NUL in text: 400, not 500

    @login_manager.user_loader
    def load_user(session_id: str) -> Any:
        """The signed-in user of a session (or remember-me) cookie while its server-side
        session is live (`sessions.load_session_user`), else None."""
        from .sessions import load_session_user

        return load_session_user(db.get_session(), session_id)


def register_blueprints(app: Flask) -> None:
    from .db import IdConverter

    # Before the blueprints, so every rule's `int` converter is this one.
    app.url_map.converters["int"] = IdConverter
    for name in BLUEPRINTS:
        module = importlib.import_module(f".views.{name}", __name__)
        app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    from .views.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)

