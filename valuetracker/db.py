"""Database engine, the per-request session, migrations and the `init-db` command.

The engine is created unbound and attached in `init_app`, like Flask's tutorial app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Session
from werkzeug.routing import IntegerConverter

from . import models
from .config import MIGRATIONS_DIR

log = logging.getLogger(__name__)

# The largest id a row can have (PostgreSQL INTEGER); ids from URLs past it are "not found"
# rather than an overflow inside the database driver.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter, capped at MAX_ID: a bigger number is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(value: str | None) -> int | None:
    """A query-string id (`?competitor=3`) as an int, or None when absent or out of range."""
    # isascii: "³" is a digit to isdigit, not to int().
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10 \
            or int(value) > MAX_ID:
        return None
    return int(value)


def equal_when_set(*filters: tuple[Any, Any]) -> list[Any]:
    """SQL terms `column == value` of the (column, value) filters that are set: a value
    of None or "" (a filter left empty) does not narrow the list."""
    return [column == value for column, value in filters if value is not None and value != ""]


class in_ids(sa.sql.functions.FunctionElement):  # noqa: N801 - reads as a SQL operator
    """SQL: `column`'s row is one of `ids` (a one-column SELECT of a few ids: an account's
    value entries), where `condition` says the same through the query's own join.

    SQLite gets `condition` (its planner drives the join from the account's entries);
    PostgreSQL gets `column = ANY(ARRAY(ids))`: the ids computed first and the index on
    `column` probed for each, where the join lets its planner hash the whole child table
    once an account has a few hundred rows."""

    type = sa.types.NullType()  # a Boolean would be compared with 1 on SQLite
    inherit_cache = True
    name = "in_ids"

    def __init__(self, column: Any, ids: sa.Select[Any], condition: Any) -> None:
        super().__init__(column, ids.correlate(None).scalar_subquery(), condition)


@compiles(in_ids)
def _in_ids(element: in_ids, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses.clauses[2], **kw)


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids, _condition = element.clauses.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(ids, **kw)})"


class StaleEditError(Exception):
    """Someone else saved the record since this form was loaded."""


def make_engine(url: str) -> Engine:
    """An engine tuned per dialect: SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs["pool_pre_ping"] = True
    return sa.create_engine(url, **kwargs)


def refresh_statistics(session: Session, tables: Sequence[str]) -> None:
    """Give the query planner fresh statistics on `tables` after a bulk load (an import,
    the demo data), in a transaction of its own. SQLite keeps none unless asked: without
    them some plans scan where an index would do. `analysis_limit` samples each index,
    so this stays quick on large tables; PostgreSQL's ANALYZE samples too.

    Best effort: called once the data is committed, so a failure (a locked database)
    is logged and leaves the data and the caller alone.
    """
    dialect = session.get_bind().dialect
    preparer = dialect.identifier_preparer
    try:
        if dialect.name == "sqlite":
            session.execute(sa.text("PRAGMA analysis_limit=1000"))
        for table in tables:
            session.execute(sa.text(f"ANALYZE {preparer.quote(table)}"))
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()
        log.warning("could not refresh the statistics of %s", ", ".join(tables), exc_info=True)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["valuetracker.engine"]


def get_session() -> Session:
    """The request's (or CLI command's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(eng: Engine) -> Iterator[Session]:
    """A session outside a request (jobs, benchmarks); the caller commits."""
    session = Session(eng, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def check_version(session: Session, obj: Any, expected_version: int | None) -> None:
    """Optimistic locking: claim the next version of `obj` or raise StaleEditError.

    A conditional UPDATE makes the check atomic, so of two concurrent saves of the
    same version exactly one wins. Call before changing the object's other fields.
    """
    model = type(obj)
    try:  # a missing or tampered hidden field is a stale form, not a server error
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise StaleEditError from None
    if expected != obj.version:
        raise StaleEditError
    result = session.execute(
        sa.update(model)
        .where(model.id == obj.id, model.version == expected)
        .values(version=expected + 1)
        # Only the version: nothing a rollup counts (valuetracker.rollups.deals).
        .execution_options(synchronize_session=False, **{models.ROLLUP_DEALS: ()})
    )
    if result.rowcount != 1:
        raise StaleEditError
    obj.version = expected + 1


def claim_row(session: Session, row: Any, take_over: sa.Update) -> bool:
    """Claim a row that is unique per job (a summary's sending, a user's digest of a
    period): add `row` and commit; when the unique key refuses it (someone made it
    first), run `take_over`, the UPDATE of that row where it may be taken over (a failed
    attempt), and commit. True when this session now holds the row. Commits."""
    session.add(row)
    try:
        session.commit()
        return True
    except sa.exc.IntegrityError:
        session.rollback()
    result = session.execute(take_over.execution_options(synchronize_session=False))
    session.commit()
    return bool(result.rowcount == 1)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def schema_revisions(url: str) -> tuple[str | None, str | None]:
    """(the database's migration revision or None when it has no schema, the newest one)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        eng.dispose()
    return current, head


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["valuetracker.engine"] = make_engine(url)
    app.teardown_appcontext(close_session)

    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create or upgrade the database schema to the newest migration."""
        upgrade_database(app.config["DATABASE_URL"])
        click.echo("Database is up to date.")

    @app.cli.group("db")
    def db_group() -> None:
        """The database schema (migrations ship inside the package)."""

    @db_group.command("current")
    def db_current_command() -> None:
        """Show the database's schema revision and the newest one; exit 1 if behind."""
        try:
            current, head = schema_revisions(app.config["DATABASE_URL"])
        except sa.exc.SQLAlchemyError as exc:
            raise click.ClickException(
                f"cannot read the database: {type(exc.orig or exc).__name__}: "
                f"{str(exc.orig or exc).splitlines()[0]}") from None
        click.echo(f"Database revision: {current or '(no schema yet)'}")
        click.echo(f"Newest revision:   {head}")
        if current != head:
            click.echo("Run `valuetracker init-db` to upgrade.", err=True)
            raise SystemExit(1)
        click.echo("Up to date.")


__all__ = [
    "StaleEditError",
    "make_engine",
    "engine",
    "get_session",
    "session_scope",
    "check_version",
    "upgrade_database",
    "init_app",
    "models",
]


def listen_on_sessions(listeners: Iterable[tuple[str, Callable[..., Any]]]) -> None:
    """Attach each `(event, listener)` to every ORM Session, once: calling it again (a
    second app in one process, the tests) adds nothing."""
    from sqlalchemy.orm import Session as OrmSession

    for event, listener in listeners:
        if not sa.event.contains(OrmSession, event, listener):
            sa.event.listen(OrmSession, event, listener)



def take_noted(session: Any, key: str) -> Any:
    """What this transaction's keeper noted under `key`, taken out (None when nothing): the
    session is flushed first, so the notes of its pending writes are in."""
    if key not in session.info:
        return None
    session.flush()
    return session.info.pop(key, None)


_KEEPERS: set[str] = set()


def keep_per_transaction(key: str, *, after_flush: Callable[..., Any],
                         on_execute: Callable[..., Any],
                         settle: Callable[[Any], None]) -> None:
    """Install, once per `key`, something every Session keeps current in each transaction
    (the rollups): `after_flush` and `on_execute` note what changed in
    `session.info[key]`, `settle(session)` applies it before the commit, and what is noted
    is forgotten when the whole transaction ends (a savepoint's rollback leaves the rest
    of the transaction's notes: recounting more than needed costs only time)."""
    if key in _KEEPERS:
        return
    _KEEPERS.add(key)

    def before_commit(session: Any) -> None:
        settle(session)

    def forget(session: Any, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(key, None)

    listen_on_sessions((("after_flush", after_flush), ("do_orm_execute", on_execute),
                        ("before_commit", before_commit), ("after_transaction_end", forget)))
