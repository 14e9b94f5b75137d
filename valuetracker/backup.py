"""Backups that restore: one archive with the database, REPORTS_DIR and a manifest.

The archive is a gzip-compressed tar file (conventionally `NAME.tar.gz`):

    manifest.json       format version, dialect, Alembic revision, created at, row counts
    database.sqlite     SQLite: a copy made with SQLite's online backup, or
    database.pgdump     PostgreSQL: `pg_dump --format=custom`
    reports/...         every file of REPORTS_DIR (generated PDFs and exports)

Backing up is safe while the app runs. Restoring replaces every row and every report
file, so stop the web app and the workers first and start them again afterwards (their
pooled connections and per-process figure caches describe the data that was replaced).

These functions know nothing of click: `valuetracker backup` and `valuetracker restore`
(cli/backup.py) call them and print what they return.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from .db import MIGRATIONS_DIR, make_engine
from .models import metadata

FORMAT = "valuetracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORTS = "reports"
DATABASE_FILES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CLIENT_PACKAGES = ("Debian/Ubuntu: apt install postgresql-client; "
                   "RHEL/Fedora: dnf install postgresql; macOS: brew install libpq")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, for the user."""


@dataclass(frozen=True)
class Manifest:
    """What an archive holds, written as manifest.json."""

    dialect: str
    revision: str | None  # the database's Alembic revision; None before `init-db`
    created_at: str  # ISO 8601, UTC
    tables: dict[str, int]  # row count per table
    reports_files: int
    reports_bytes: int
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.dialect]

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a valuetracker manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"this backup has format version {data.get('format_version')}; this "
                f"version of valuetracker reads version {FORMAT_VERSION}")
        known = {f.name for f in fields(cls)}  # later additions to format 1 are ignored
        manifest = cls(**{key: value for key, value in data.items() if key in known})
        if manifest.dialect not in DATABASE_FILES:
            raise ValueError(f"unknown dialect {manifest.dialect!r}")
        return manifest


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes of the archive
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    counts: dict[str, int]  # row count per table after restoring
    schema: str  # the restored revision against the code's: current, older or newer


def make_backup(path: Path, *, database_url: str, reports_dir: Path) -> BackupResult:
    """Write the archive to `path`, replacing a file there only once it is complete.

    Safe while the app runs: the row counts in the manifest are those of the copy (SQLite)
    or of the snapshot pg_dump reads (PostgreSQL). Work files go next to `path`.
    """
    dialect = database_dialect(database_url)
    # A missing tool is found before anything is written.
    pg_dump = _client_tool("pg_dump", database_url, _pg_dump_argv) if dialect == "postgresql" \
        else None
    path, reports_dir = path.absolute(), reports_dir.absolute()
    if path.is_relative_to(reports_dir):
        raise BackupError(f"write the backup outside REPORTS_DIR ({reports_dir})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        work = tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {_reason(exc)}") from None
    with work as workdir:
        dump = Path(workdir) / DATABASE_FILES[dialect]
        revision, tables = _dump_sqlite(database_url, dump) if pg_dump is None \
            else _dump_postgresql(pg_dump, database_url, dump)
        files = _report_files(reports_dir)
        manifest = Manifest(
            dialect=dialect, revision=revision, tables=tables,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            reports_files=len(files), reports_bytes=sum(f.stat().st_size for f in files))
        partial = Path(workdir) / "archive.tar.gz"
        try:
            with tarfile.open(partial, "w:gz", dereference=True) as tar:
                _add_bytes(tar, MANIFEST, json.dumps(asdict(manifest), indent=2,
                                                     sort_keys=True).encode())
                tar.add(dump, arcname=manifest.database_file)
                for file in files:
                    arcname = f"{REPORTS}/{file.relative_to(reports_dir).as_posix()}"
                    tar.add(file, arcname=arcname, recursive=False)
            os.replace(partial, path)
        except OSError as exc:
            raise BackupError(f"cannot write {path}: {_reason(exc)}") from None
    return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)


def inspect_backup(path: Path, *, database_url: str, reports_dir: Path) -> Manifest:
    """The archive's manifest, once it is known that it can be restored here: it is a
    complete valuetracker backup of this dialect, with only safe entries, and the tools
    are installed. Nothing is changed; `restore_backup` checks this again itself."""
    manifest = read_manifest(path)
    dialect = database_dialect(database_url)
    if manifest.dialect != dialect:
        raise BackupError(
            f"{path} is a backup of a {manifest.dialect} database, but this installation "
            f"uses {dialect}; restore it into a {manifest.dialect} installation")
    if Path(path).absolute().is_relative_to(reports_dir.absolute()):
        raise BackupError(f"move the backup out of REPORTS_DIR ({reports_dir}) first: "
                          "restoring replaces that folder's contents")
    if not hasattr(tarfile, "data_filter"):  # added in Python 3.11.4
        raise BackupError("restoring needs Python 3.11.4 or newer (tarfile's 'data' filter)")
    if dialect == "postgresql":
        _client_tool("pg_restore", database_url, _pg_restore_argv)
        _check_postgresql_target(database_url, manifest)
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The manifest of `path`, a complete valuetracker backup with only safe entries."""
    with _archive(path) as (_tar, manifest, _members):
        return manifest


def restore_backup(path: Path, *, database_url: str, reports_dir: Path) -> RestoreResult:
    """Replace the database and REPORTS_DIR's contents with the archive's.

    The archive is unpacked (reports into a folder inside REPORTS_DIR) before anything is
    replaced; the database goes first, and if that fails the report files stay as they are.
    """
    manifest = inspect_backup(path, database_url=database_url, reports_dir=reports_dir)
    reports_dir = reports_dir.absolute()
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=reports_dir))
    except OSError as exc:
        raise BackupError(f"cannot write to REPORTS_DIR: {_reason(exc)}") from None
    try:
        with tempfile.TemporaryDirectory(prefix="valuetracker-restore-") as workdir:
            with _archive(path) as (tar, _manifest, members):
                try:
                    tar.extract(manifest.database_file, workdir, filter="data")
                    tar.extractall(staging, filter="data", members=[
                        m for m in members if m.name.startswith(f"{REPORTS}/")])
                except (OSError, tarfile.TarError) as exc:
                    raise BackupError(f"cannot unpack {path}: {exc}") from None
            dump = Path(workdir) / manifest.database_file
            if manifest.dialect == "sqlite":
                _restore_sqlite(dump, database_url)
            else:
                _restore_postgresql(dump, database_url)
        try:
            _replace_contents(reports_dir, staging / REPORTS, keep=staging)
        except OSError as exc:
            raise BackupError(f"the database is restored, but replacing the files in "
                              f"{reports_dir} failed: {_reason(exc)}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            _revision, counts = describe_database(conn)
    finally:
        engine.dispose()
    return RestoreResult(manifest=manifest, counts=counts, schema=schema_state(manifest.revision))


# -- the database ------------------------------------------------------------------------


def database_dialect(database_url: str) -> str:
    """`sqlite` or `postgresql`; BackupError for anything else."""
    try:
        dialect = make_url(database_url).get_backend_name()
    except sa.exc.ArgumentError:
        raise BackupError("DATABASE_URL is not a database URL") from None
    if dialect not in DATABASE_FILES:
        raise BackupError(f"backups cover SQLite and PostgreSQL databases, not {dialect}")
    return dialect


def describe_database(conn: sa.Connection) -> tuple[str | None, dict[str, int]]:
    """The database's Alembic revision and the row count of each of its tables."""
    revision = MigrationContext.configure(conn).get_current_revision()
    existing = set(sa.inspect(conn).get_table_names())
    counts = {
        table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in metadata.sorted_tables if table.name in existing
    }
    return revision, counts


def schema_state(revision: str | None) -> str:
    """`current` when `revision` is the code's newest migration, `older` when `init-db`
    would upgrade it, `newer` when this code does not know it (a newer valuetracker)."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    if revision == script.get_current_head():
        return "current"
    known = {rev.revision for rev in script.walk_revisions()}
    return "older" if revision is None or revision in known else "newer"


def _sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory SQLite database: nothing to keep")
    return Path(database)


def _dump_sqlite(database_url: str, dump: Path) -> tuple[str | None, dict[str, int]]:
    source_file = _sqlite_file(database_url)
    if not source_file.is_file():
        raise BackupError(f"the SQLite database {source_file} does not exist")
    try:
        # One step copies a consistent snapshot, even while the app writes.
        with closing(sqlite3.connect(source_file, timeout=30)) as source, \
                closing(sqlite3.connect(dump)) as copy:
            source.backup(copy)
            # The copy inherits WAL mode; rollback mode keeps it one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database {source_file}: {exc}") from None
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(dump)))
    try:
        with engine.connect() as conn:
            return describe_database(conn)
    finally:
        engine.dispose()


def _restore_sqlite(dump: Path, database_url: str) -> None:
    target = _sqlite_file(database_url)
    with closing(sqlite3.connect(dump)) as source:
        try:
            check = source.execute("PRAGMA quick_check").fetchone()
        except sqlite3.Error as exc:
            check = (str(exc),)
        if check != ("ok",):
            raise BackupError(f"the database in the backup is damaged: {check[0]}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # The backup API writes every page in one transaction of the target: other
            # connections see the old or the new database, never a mix (if none writes).
            with closing(sqlite3.connect(target, timeout=30)) as dest:
                source.backup(dest)
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"cannot restore the SQLite database {target}: {exc}") from None


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for the PostgreSQL tools, and their environment with PGPASSWORD.

    pg_dump rejects SQLAlchemy's `postgresql+psycopg://`; the password travels in the
    environment so that it is not visible in the process list.
    """
    url = make_url(database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # URL.set() treats password=None as "unchanged"; the named tuple's _replace clears it.
    return url._replace(password=None).render_as_string(hide_password=False), env


def _pg_dump_argv(pg_dump: str, database_url: str, dump: str, *extra: str) -> list[str]:
    return [pg_dump, "--format=custom", *extra, "--file", dump, _libpq(database_url)[0]]


def _pg_restore_argv(pg_restore: str, database_url: str, dump: str) -> list[str]:
    # --single-transaction: all or nothing (it cannot be combined with --create or --jobs).
    # --clean --if-exists: drop the archive's objects first, quietly where they are absent.
    return [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--dbname", _libpq(database_url)[0], dump]


def _client_tool(name: str, database_url: str,
                 argv: Callable[[str, str, str], list[str]]) -> str:
    """The path of a PostgreSQL client tool, or a BackupError saying how to get one and
    the command (`argv`) it will run, which also works by hand for the database alone."""
    found = shutil.which(name)
    if found is None:
        command = shlex.join(argv(name, database_url, "valuetracker.pgdump"))
        if make_url(database_url).password is not None:
            command = f"PGPASSWORD=... {command}"
        raise BackupError(
            f"{name} is not on PATH. Install the PostgreSQL client tools, of the server's "
            f"major version or newer ({CLIENT_PACKAGES}). The database part is then: "
            f"{command}")
    return found


def _run(argv: list[str], env: Mapping[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        name = Path(argv[0]).name
        raise BackupError(f"{name} failed (exit status {done.returncode}):\n"
                          f"{done.stderr.strip()}")


def _dump_postgresql(pg_dump: str, database_url: str, dump: Path
                     ) -> tuple[str | None, dict[str, int]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the snapshot this transaction exports, so the row counts
                # in the manifest are those of the dump, whatever is written meanwhile.
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                revision, tables = describe_database(conn)
                _run(_pg_dump_argv(pg_dump, database_url, str(dump), f"--snapshot={snapshot}"),
                     _libpq(database_url)[1])
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot read the database: {exc.orig}") from None
    finally:
        engine.dispose()
    return revision, tables


# Other sessions of the database inside a transaction: pg_restore would wait for their
# locks without end (its script sets lock_timeout to 0), so a restore refuses to start.
BUSY_SESSIONS = sa.text(
    "SELECT pid, application_name, state FROM pg_stat_activity WHERE datname = "
    "current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
    "AND xact_start IS NOT NULL ORDER BY pid")


def _check_postgresql_target(database_url: str, manifest: Manifest) -> None:
    """Refuse a restore that would hang (the database is in use) or leave tables behind:
    pg_restore --clean drops only the archive's own tables, and tables that a newer
    migration added would survive the restore and break `init-db`."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            busy = conn.execute(BUSY_SESSIONS).all()
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot read the database: {exc.orig}") from None
    finally:
        engine.dispose()
    if busy:
        sessions = ", ".join(f"pid {pid} {name or '(no name)'} {state}"
                             for pid, name, state in busy)
        raise BackupError(f"the database is in use ({sessions}): stop the web app and the "
                          "workers, then restore again")
    extra = sorted(existing & {t.name for t in metadata.sorted_tables} - set(manifest.tables))
    if extra:
        raise BackupError(
            f"the backup comes from an older schema (revision {manifest.revision}) and the "
            f"database has tables it lacks ({', '.join(extra)}), which restoring would keep. "
            "Recreate the database empty (dropdb and createdb), restore again, then run "
            "valuetracker init-db")


def _restore_postgresql(dump: Path, database_url: str) -> None:
    pg_restore = _client_tool("pg_restore", database_url, _pg_restore_argv)
    _run(_pg_restore_argv(pg_restore, database_url, str(dump)), _libpq(database_url)[1])


# -- the archive -------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    """An OSError for the user: "Permission denied (/backups)", without the errno."""
    if exc.filename is None:
        return exc.strerror or str(exc)
    return f"{exc.strerror} ({exc.filename})"


def _report_files(reports_dir: Path) -> list[Path]:
    if not reports_dir.is_dir():
        return []
    return sorted(p for p in reports_dir.rglob("*") if p.is_file())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


@contextmanager
def _archive(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest, list[tarfile.TarInfo]]]:
    """The open archive, its manifest and its entries, once they are checked."""
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error):
        raise _not_a_backup(path) from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {_reason(exc)}") from None
    with tar:
        try:
            manifest, members = _checked_members(tar, path)
        except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error, ValueError,
                TypeError, KeyError):
            raise _not_a_backup(path) from None
        yield tar, manifest, members


def _not_a_backup(path: Path) -> BackupError:
    return BackupError(f"{path} is not a valuetracker backup (made by `valuetracker backup`), "
                       "or it is incomplete")


def _checked_members(tar: tarfile.TarFile, path: Path) -> tuple[Manifest, list[tarfile.TarInfo]]:
    """The manifest and every entry, read to the end (a truncated archive fails here),
    refusing any entry that is not ours or could land outside the target folder."""
    members = tar.getmembers()
    manifest_file = tar.extractfile(MANIFEST)
    if manifest_file is None:
        raise KeyError(MANIFEST)
    manifest = Manifest.from_json(manifest_file.read())
    for member in members:
        name = PurePosixPath(member.name)
        ours = (member.name in (MANIFEST, manifest.database_file) and member.isfile()) or (
            name.parts[:1] == (REPORTS,) and (member.isfile() or member.isdir()))
        if name.is_absolute() or ".." in name.parts or not ours:
            raise BackupError(f"{path} holds an entry that is not part of a valuetracker "
                              f"backup ({member.name!r}); nothing was restored")
    if manifest.database_file not in tar.getnames():
        raise KeyError(manifest.database_file)
    return manifest, members


def _replace_contents(folder: Path, new: Path, *, keep: Path) -> None:
    """Make `folder` hold what `new` holds (moved, not copied: both are on one disk).
    The folder itself stays, as it may be a mount point on shared storage."""
    for entry in folder.iterdir():
        if entry == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if new.is_dir():
        for entry in new.iterdir():
            entry.rename(folder / entry.name)

