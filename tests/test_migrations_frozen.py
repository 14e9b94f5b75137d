"""Applied migrations stay as they were: the SQL every revision runs, up from an empty
database to the newest revision and back down, on SQLite and on PostgreSQL, is checked in
(tests/data/migrations_sqlite.sql, migrations_postgresql.sql) and compared with what the
migrations produce now.

An edit to a revision that has shipped, or to a builder of
valuetracker/migrations/columns.py that one uses, changes that SQL and fails here. A NEW
revision adds statements of its own: regenerate the snapshots with

    .venv/bin/python tests/test_migrations_frozen.py

and check that the diff only adds the new revision's part (its upgrade at the end of the
way up, its downgrade at the start of the way down).

How the SQL is read, with no database server:
- PostgreSQL: Alembic's offline mode (`upgrade --sql`). Steps that read rows (a check
  for duplicates before a unique index) get no rows back.
- SQLite: offline mode cannot render a batch table rebuild (it needs to reflect the
  table), so the migrations run on an empty in-memory database and every statement is
  recorded as executed; reflection's own reads are left out.
What a migration hands to the app's own modules (the search index's triggers, the
rollups' rebuild) is that module's to test: the snapshot names the call, not its SQL.
"""

from __future__ import annotations

import difflib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine.mock import MockConnection

from valuetracker.db import MIGRATIONS_DIR, alembic_config, make_engine

DATA = Path(__file__).parent / "data"
SNAPSHOTS = {"sqlite": DATA / "migrations_sqlite.sql",
             "postgresql": DATA / "migrations_postgresql.sql"}
REGENERATE = ".venv/bin/python tests/test_migrations_frozen.py"
VERSIONS = str(MIGRATIONS_DIR / "versions")
MIGRATIONS = str(MIGRATIONS_DIR)
PACKAGE = str(MIGRATIONS_DIR.parent)


def _delegated(frame: FrameType | None) -> str | None:
    """When a statement is run by app code a migration called (not by Alembic or by the
    migration itself): that call, as `module.function (from revision file)`."""
    callee = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(VERSIONS):
            where = "" if callee is None else callee.f_code.co_filename
            if not where.startswith(PACKAGE) or where.startswith(MIGRATIONS):
                return None  # Alembic's op, or the migrations' own builders (columns.py)
            module = callee.f_globals.get("__name__", "?")
            return f"{module}.{callee.f_code.co_name} (from {Path(filename).name})"
        callee = frame
        frame = frame.f_back
    return None


class _Recorder:
    """Collects the statements; the app code's are replaced by one line naming the call."""

    def __init__(self, keep_delegated: bool) -> None:
        self.lines: list[str] = []
        self.keep_delegated = keep_delegated
        self._last_call: str | None = None

    def add(self, statement: str, frame: FrameType | None) -> None:
        call = None if self.keep_delegated else _delegated(frame)
        if call is not None:
            if call != self._last_call:
                self.lines.append(f"-- run by {call}: its SQL is not frozen here")
            self._last_call = call
            return
        self._last_call = None
        self.lines.extend(line.rstrip() for line in statement.replace("\t", "    ").splitlines()
                          if line.strip())


class _NoRows:
    """What a read gets in offline mode: nothing."""

    def fetchall(self) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def scalar_one(self) -> int:
        return 0


def postgresql_sql(keep_delegated: bool = False) -> str:
    """The SQL of every revision on PostgreSQL, from Alembic's offline mode."""
    recorder = _Recorder(keep_delegated)

    class OfflineConnection(MockConnection):
        """op.get_bind() in offline mode: prints what it is given, reads no rows."""

        def __init__(self, migration: MigrationContext) -> None:
            super().__init__(migration.dialect, self._ddl)
            self._migration = migration

        def _ddl(self, construct: Any, *args: Any, **kwargs: Any) -> None:
            self.execute(construct)

        def _compile(self, statement: Any) -> str:
            return str(statement.compile(dialect=self._migration.dialect))

        def execute(self, statement: Any, *args: Any, **kwargs: Any) -> _NoRows:
            recorder.add(self._compile(statement) + ";", sys._getframe(1))
            return _NoRows()

        def exec_driver_sql(self, statement: str, *args: Any, **kwargs: Any) -> _NoRows:
            recorder.add(statement + ";", sys._getframe(1))
            return _NoRows()

    class Output(io.StringIO):
        """Alembic's own statements (op.create_table, op.execute, the version table)."""

        def write(self, text: str) -> int:
            if text.strip():
                recorder.add(text, None)
            return len(text)

    original = MigrationContext._stdout_connection
    MigrationContext._stdout_connection = (  # type: ignore[method-assign]
        lambda self, connection: OfflineConnection(self))
    try:
        cfg = alembic_config("postgresql+psycopg://offline/offline")
        cfg.output_buffer = Output()
        command.upgrade(cfg, "head", sql=True)
        command.downgrade(cfg, "head:base", sql=True)
    finally:
        MigrationContext._stdout_connection = original  # type: ignore[method-assign]
    return "\n".join(recorder.lines) + "\n"


def sqlite_sql(keep_delegated: bool = False) -> str:
    """The SQL of every revision on SQLite, as run on an empty in-memory database."""
    recorder = _Recorder(keep_delegated)
    engine = make_engine("sqlite://")

    def record(conn: Any, cursor: Any, statement: str, parameters: Any,
               context: Any, executemany: bool) -> None:
        frame: FrameType | None = sys._getframe(1)
        probe = frame
        while probe is not None:
            if probe.f_code.co_filename.endswith("sqlalchemy/engine/reflection.py"):
                return  # batch mode reflecting a table: a read, not the migration's
            probe = probe.f_back
        text = statement
        if parameters:
            text += f"  -- {parameters!r}"
        recorder.add(text + ";", frame)

    try:
        with engine.connect() as conn:
            sa.event.listen(engine, "before_cursor_execute", record)
            cfg = alembic_config("sqlite://")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.downgrade(cfg, "base")
            sa.event.remove(engine, "before_cursor_execute", record)
    finally:
        engine.dispose()
    return "\n".join(recorder.lines) + "\n"


CONSTRAINTS = ("PRIMARY KEY", "FOREIGN KEY", "UNIQUE", "CHECK", "CONSTRAINT")
PRODUCERS = {"sqlite": sqlite_sql, "postgresql": postgresql_sql}


def produce(dialect: str, *, full: bool = False) -> str:
    """The SQL of every revision, in an order that does not depend on the process:
    batch mode rebuilds a SQLite table with its reflected constraints and indexes in set
    order, so a table's constraint lines and a run of CREATE INDEX lines are sorted."""
    lines = PRODUCERS[dialect](keep_delegated=full).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        if lines[i].startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
            while j < len(lines) and lines[j].startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
                j += 1
            out.extend(sorted(lines[i:j]))
        elif lines[i].lstrip().startswith(CONSTRAINTS):
            while j < len(lines) and lines[j].lstrip().startswith(CONSTRAINTS):
                j += 1
            run = sorted(line.rstrip(",") for line in lines[i:j])
            last = "," if lines[j - 1].endswith(",") else ""
            out.extend([line + "," for line in run[:-1]] + [run[-1] + last])
        else:
            j = i + 1
            out.append(lines[i])
        i = j
    return "\n".join(out) + "\n"


def _compare(dialect: str) -> None:
    now = produce(dialect)
    frozen = SNAPSHOTS[dialect].read_text(encoding="utf-8")
    if now == frozen:
        return
    diff = "".join(list(difflib.unified_diff(
        frozen.splitlines(keepends=True), now.splitlines(keepends=True),
        str(SNAPSHOTS[dialect]), "the migrations now", n=2))[:60])
    raise AssertionError(
        f"The migrations' SQL on {dialect} is not the frozen one.\n"
        "An applied revision, or a builder in valuetracker/migrations/columns.py that one "
        "uses, has changed: undo that (add a new builder or a new revision instead).\n"
        f"If you added a NEW revision, regenerate the snapshots: {REGENERATE}\n"
        "and check that their diff only adds your revision's statements (its upgrade at the "
        "end of the way up, its downgrade at the start of the way down).\n\n" + diff)


def test_sqlite_sql_is_frozen() -> None:
    _compare("sqlite")


def test_postgresql_sql_is_frozen() -> None:
    _compare("postgresql")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--print", "--full"):
        # --full: the app code's statements too (to compare two versions of a change).
        sys.stdout.write(produce(sys.argv[2], full=sys.argv[1] == "--full"))
        raise SystemExit(0)
    for name, path in SNAPSHOTS.items():
        path.write_text(produce(name), encoding="utf-8")
        print(f"wrote {path}")
