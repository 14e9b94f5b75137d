"""The `valuetracker` console script: the Flask CLI of `create_app`.

Each module here registers one command group; `register` wires them all.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask.cli import FlaskGroup

COMMAND_MODULES = ("users", "demo", "imports", "summaries", "exports", "winloss", "worker",
                   "backup", "links", "tasks", "signals")


def register(app: Flask) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        module.register(app)


def create_cli_app() -> Flask:
    """The app for a command; unusable settings stop it with their one-line message."""
    from .. import ConfigError, create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise SystemExit(f"valuetracker: {exc}") from None


def main() -> None:
    FlaskGroup(create_app=create_cli_app).main(prog_name="valuetracker")
