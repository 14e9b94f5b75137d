"""`valuetracker backup` and `valuetracker restore`: round trips on the test database's own
dialect (a SQLite file, or PostgreSQL with the real pg_dump and pg_restore), refusals.

Every test runs on both dialects; where they differ, the test says what each must do.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from valuetracker.backup import DATABASE_FILES, make_backup, schema_state
from valuetracker.db import alembic_config, make_engine, upgrade_database
from valuetracker.models import Account, Deal, LoyaltyPulse, ValueSummary, metadata

from .factories import (
    make_account,
    make_competitor,
    make_deal,
    make_interview,
    make_pulse,
    make_stakeholder,
)
from .factories.scenarios import seed_account_value


def _counts(app: Flask) -> dict[str, int]:
    """Every table's row count, read on a connection of its own."""
    with app.extensions["valuetracker.engine"].connect() as conn:
        return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table))
                .scalar_one() for table in metadata.sorted_tables}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _dialect(app: Flask) -> str:
    return app.extensions["valuetracker.engine"].dialect.name


def _fill(session: Session, cast: Any) -> None:
    seed_account_value(session, cast.account1, cast.stakeholder1)
    seed_account_value(session, cast.account2, cast.stakeholder2)
    make_pulse(session, cast.stakeholder1, ranking=["cost_reduction", "productivity"],
               taken_on=date(2026, 9, 10), intent="probably", recommend=8)
    rival = make_competitor(session, "Initech")
    deal = make_deal(session, cast.account1, "won", competitors=(rival,))
    make_deal(session, cast.account2, "lost")
    make_interview(session, deal, cast.stakeholder1)
    session.commit()


def _backup(runner: Any, path: Path) -> None:
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}" in result.output


def _as_other_dialect(source: Path, target: Path, dialect: str) -> None:
    """A copy of the archive `source` that claims to hold a `dialect` database."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), "dialect": dialect}).encode()
                member.size = len(data)
            elif member.name in DATABASE_FILES.values():
                member.name = DATABASE_FILES[dialect]
            new.addfile(member, io.BytesIO(data))


def test_round_trip_restores_every_table_and_report_file(
        app: Flask, runner: Any, session: Session, cast: Any, tmp_path: Path) -> None:
    _fill(session, cast)
    generated = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3",
                                    "--account", "acme-corp"])
    assert generated.exit_code == 0, generated.output
    reports = Path(app.config["REPORTS_DIR"])
    (reports / "2026-Q3" / "exports").mkdir(parents=True)
    (reports / "2026-Q3" / "exports" / "review.csv").write_text("account,value\nAcme,1\n")
    before, files = _counts(app), _files(reports)
    assert sum(1 for rows in before.values() if rows) >= 12
    assert any(name.endswith(".pdf") for name in files) and len(files) >= 2

    archive = tmp_path / "backups" / "valuetracker.tar.gz"
    _backup(runner, archive)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = tar.getnames()
    assert manifest["dialect"] == _dialect(app) and manifest["format_version"] == 1
    assert schema_state(manifest["revision"]) == "current"
    assert manifest["tables"] == before and manifest["reports_files"] == len(files)
    assert sorted(names) == sorted(["manifest.json", DATABASE_FILES[_dialect(app)],
                                    *(f"reports/{name}" for name in files)])

    # Change everything the backup holds: rows gone, rows added, files gone and added.
    session.delete(session.exec(select(Deal).where(Deal.outcome == "lost")).one())
    session.delete(session.exec(select(LoyaltyPulse)).one())
    make_stakeholder(session, make_account(session, "Newco"), "Nina New")
    session.commit()
    pdf = next(reports / name for name in files if name.endswith(".pdf"))
    pdf.unlink()
    (reports / "stray.txt").write_text("written after the backup")
    assert _counts(app) != before
    session.close()  # no open transaction may hold a lock the restore needs

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert _counts(app) == before
    assert _files(reports) == files
    assert "Restored" in result.output
    assert re.search(rf"^  value_entry +{before['value_entry']}$", result.output, re.M)
    assert "init-db" not in result.output

    # The restored database is usable: ids continue after the restored rows.
    account = make_account(session, "After the restore")
    session.commit()
    assert account.id == max(a.id for a in session.exec(select(Account)).all())
    assert session.exec(select(ValueSummary)).first().file_path in files  # type: ignore


def test_restore_without_yes_asks_and_no_changes_nothing(
        app: Flask, runner: Any, session: Session, cast: Any, tmp_path: Path) -> None:
    reports = Path(app.config["REPORTS_DIR"])
    reports.mkdir(parents=True)
    (reports / "kept.txt").write_text("before")
    archive = tmp_path / "backup.tar.gz"
    _backup(runner, archive)
    make_account(session, "Added later")
    session.commit()
    session.close()
    (reports / "added.txt").write_text("after")
    counts, files = _counts(app), _files(reports)

    result = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert result.exit_code == 1
    assert "This replaces all data in" in result.output and "Continue? [y/N]" in result.output
    assert "Aborted" in result.output
    assert _counts(app) == counts and _files(reports) == files


def test_restore_refuses_files_that_are_not_backups(
        app: Flask, runner: Any, cast: Any, tmp_path: Path) -> None:
    counts = _counts(app)
    random_bytes = tmp_path / "random.tar.gz"
    random_bytes.write_bytes(bytes(range(256)) * 40)
    other_tar = tmp_path / "other.tar.gz"
    with tarfile.open(other_tar, "w:gz") as tar:
        tar.add(random_bytes, arcname="notes.txt")
    for path in (random_bytes, other_tar):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1
        assert f"Error: {path} is not a valuetracker backup" in result.output
        assert "Traceback" not in result.output
    assert _counts(app) == counts


def test_restore_refuses_entries_outside_the_target_folders(
        app: Flask, runner: Any, cast: Any, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    _backup(runner, archive)
    for name in ("../escape.txt", "/etc/valuetracker-test", "reports/../../escape.txt"):
        evil = tmp_path / "evil.tar.gz"
        with tarfile.open(archive) as old, tarfile.open(evil, "w:gz") as new:
            for member in old.getmembers():
                new.addfile(member, old.extractfile(member))
            info = tarfile.TarInfo(name)
            info.size = 4
            new.addfile(info, io.BytesIO(b"evil"))
        result = runner.invoke(args=["restore", str(evil), "--yes"])
        assert result.exit_code == 1
        assert "holds an entry that is not part of a valuetracker backup" in result.output
        assert not (tmp_path / "escape.txt").exists()
        assert not Path("/etc/valuetracker-test").exists()


def test_restore_refuses_a_backup_of_the_other_dialect(
        app: Flask, runner: Any, cast: Any, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    _backup(runner, archive)
    other = "sqlite" if _dialect(app) == "postgresql" else "postgresql"
    foreign = tmp_path / "foreign.tar.gz"
    _as_other_dialect(archive, foreign, other)
    counts = _counts(app)
    result = runner.invoke(args=["restore", str(foreign), "--yes"])
    assert result.exit_code == 1
    assert (f"is a backup of a {other} database, but this installation uses "
            f"{_dialect(app)}") in result.output
    assert _counts(app) == counts


def test_backup_on_postgresql_without_pg_dump_says_what_to_install(
        app_config: dict[str, Any], tmp_path: Path) -> None:
    # Missing tools are found before connecting, so this runs on either test database.
    from valuetracker import create_app

    url = "postgresql+psycopg://vt:s3cret@db.example:5432/valuetracker"
    pg_app = create_app(dict(app_config, DATABASE_URL=url))
    result = pg_app.test_cli_runner().invoke(
        args=["backup", str(tmp_path / "b.tar.gz")], env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert "Error: pg_dump is not on PATH" in result.output
    assert "apt install postgresql-client" in result.output
    assert ("PGPASSWORD=... pg_dump --format=custom --file valuetracker.pgdump "
            "postgresql://vt@db.example:5432/valuetracker") in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_backup_to_an_unwritable_path(runner: Any, cast: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(args=["backup", str(blocker / "backup.tar.gz")])
    assert result.exit_code == 1
    assert f"Error: cannot write {blocker / 'backup.tar.gz'}" in result.output
    assert "Traceback" not in result.output


@contextmanager
def _database_at_first_revision(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database of the test database's dialect, migrated to revision 0001 only."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    name = f"{make_url(database_url).database}_old"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_of_an_older_schema(app: Flask, runner: Any, database_url: str,
                                   tmp_path: Path) -> None:
    """SQLite: restored whole, then `init-db` upgrades it. PostgreSQL: refused while the
    database has tables the backup lacks (pg_restore --clean would keep them)."""
    with _database_at_first_revision(database_url, tmp_path) as old_url:
        command.upgrade(alembic_config(old_url), "0001")
        old = make_backup(tmp_path / "old.tar.gz", database_url=old_url,
                          reports_dir=tmp_path / "no-reports")
    assert old.manifest.revision == "0001" and schema_state("0001") == "older"
    assert "data_version" not in old.manifest.tables

    try:
        result = runner.invoke(args=["restore", str(old.path), "--yes"])
        if _dialect(app) == "sqlite":
            assert result.exit_code == 0, result.output
            assert "run `valuetracker init-db` to upgrade it" in result.output
            upgraded = runner.invoke(args=["init-db"])
            assert upgraded.exit_code == 0, upgraded.output
        else:
            assert result.exit_code == 1
            assert "the database has tables it lacks (" in result.output
            assert "data_version" in result.output
    finally:
        upgrade_database(database_url)  # the session's database stays at the newest schema
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert schema_state(MigrationContext.configure(conn).get_current_revision()) == "current"
    engine.dispose()


def test_restore_while_a_transaction_is_open(app: Flask, runner: Any, session: Session,
                                             cast: Any, tmp_path: Path) -> None:
    """SQLite: a reader does not block the restore (WAL). PostgreSQL: pg_restore would wait
    for its locks without end, so the restore refuses to start and says why."""
    archive = tmp_path / "backup.tar.gz"
    _backup(runner, archive)
    make_account(session, "Added later")
    session.commit()
    counts = _counts(app)
    session.exec(select(Account)).all()  # a transaction that has read a table stays open
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    session.close()
    if _dialect(app) == "sqlite":
        assert result.exit_code == 0, result.output
        assert _counts(app)["account"] == counts["account"] - 1
    else:
        assert result.exit_code == 1
        assert "the database is in use (pid " in result.output
        assert "stop the web app and the workers" in result.output
        assert _counts(app) == counts
