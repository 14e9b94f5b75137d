"""The `valuetracker` console script: the Flask CLI of `create_app`.

Each module here registers one command group; `register` wires them all.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask.cli import FlaskGroup

COMMAND_MODULES = ("users", "demo", "imports", "summaries", "exports", "winloss", "worker",
                   "backup")


def register(app: Flask) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        module.register(app)


def main() -> None:
    from .. import create_app

    FlaskGroup(create_app=create_app).main(prog_name="valuetracker")
