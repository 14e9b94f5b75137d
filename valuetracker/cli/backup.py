"""`valuetracker backup PATH`: a consistent copy of the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Copy the SQLite database to PATH while the app runs (SQLite's online backup).

        For PostgreSQL use pg_dump; this command says so rather than guessing.
        """
        url = current_app.config["DATABASE_URL"]
        if not url.startswith("sqlite:///"):
            raise click.ClickException(
                "backup copies SQLite databases; for PostgreSQL run "
                "pg_dump --format=custom --file PATH DATABASE_URL."
            )
        source = sqlite3.connect(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path)
        with target:
            source.backup(target)
        target.close()
        source.close()
        click.echo(f"Backed up the database to {path}.")
