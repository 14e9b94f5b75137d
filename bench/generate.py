"""Scale data for the benchmark: a realistic installation built with bulk inserts.

Rows are generated in Python from a seeded random generator (same seed, same data)
and written with `connection.execute(insert(table), [dict, ...])` in batches, one
transaction per table, never through the web app or ORM objects. Primary keys are
assigned here so foreign keys need no round trips; PostgreSQL sequences are moved
past them afterwards so the app can keep inserting.

Distributions (all relative to `anchor`, the generation day, over two years):
accounts by segment / tier / status; a few key stakeholders per account plus
others in every buying role with a reports-to tree; value entries whose drivers
drift per segment over the quarters (value migration), amounts log-normal,
evidence getting confirmed as it ages, some with beneficiaries and the customer's
own confirmation; commitments due around today; deals with outcomes that depend
on the competitor; interviews with factor ratings and quotes; loyalty pulses; and
the last quarters' summaries and their sendings (for coverage).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from valuetracker.db import make_engine, upgrade_database
from valuetracker.models import metadata

from .rows import ADMIN_EMAIL, SEED, Generator

# Bump when the generated data changes shape; part of the reuse hash.
GENERATOR_VERSION = 3  # 3: signals and tasks (My work)
BATCH = 5000
BENCH_PASSWORD = "bench-password-not-secret"
DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Scale:
    """Row counts of one data set; everything else is derived from these."""

    name: str
    accounts: int
    stakeholders: int
    value_entries: int
    commitments: int
    deals: int
    interviews: int
    pulses: int


SCALES: dict[str, Scale] = {
    "XS": Scale("XS", 20, 200, 2_000, 80, 200, 40, 80),
    "S": Scale("S", 200, 2_000, 20_000, 800, 2_000, 400, 800),
    "M": Scale("M", 1_000, 10_000, 100_000, 4_000, 10_000, 2_000, 4_000),
    "L": Scale("L", 5_000, 50_000, 500_000, 20_000, 50_000, 10_000, 20_000),
    # Opt-in (`--scales S,L,XL`): only the portfolio's first view after a change runs on it.
    "XL": Scale("XL", 20_000, 200_000, 2_000_000, 80_000, 200_000, 40_000, 80_000),
}


def tiny_scale(accounts: int = 5) -> Scale:
    """A proportional scale for tests (10 stakeholders, 100 entries... per account)."""
    return Scale(f"T{accounts}", accounts, 10 * accounts, 100 * accounts, 4 * accounts,
                 10 * accounts, 2 * accounts, 4 * accounts)


@dataclass
class GenerationResult:
    scale: str
    url: str
    params_hash: str
    seconds: float
    reused: bool
    counts: dict[str, int] = field(default_factory=dict)
    anchor: str = ""
    # Seconds per phase of a fresh generation: schema, rows, search index, statistics.
    phases: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def schema_fingerprint() -> str:
    """A digest of the migrations: a data set built on another schema is rebuilt."""
    from valuetracker.db import MIGRATIONS_DIR

    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def params_for(scale: Scale, anchor: date) -> dict[str, Any]:
    return {"version": GENERATOR_VERSION, "seed": SEED, "anchor": anchor.isoformat(),
            "schema": schema_fingerprint(), **asdict(scale)}


def params_hash(scale: Scale, anchor: date) -> str:
    raw = json.dumps(params_for(scale, anchor), sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def sqlite_url(scale: Scale, data_dir: Path = DATA_DIR) -> str:
    return f"sqlite:///{data_dir / f'bench-{scale.name}.sqlite'}"


def _meta_path(url: str, data_dir: Path) -> Path:
    """The sidecar file recording what a database holds (keyed by its real location)."""
    if url.startswith("sqlite:///"):
        url = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return data_dir / f"meta-{key}.json"


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

class _Writer:
    """Bulk inserts in batches (COPY on PostgreSQL); counts rows per table."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.counts: dict[str, int] = {}
        self.copy = conn.dialect.name == "postgresql"

    def write(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
        if self.copy:
            self._copy(table, rows)
            return
        buf: list[dict[str, Any]] = []
        stmt = sa.insert(table)
        n = 0
        for row in rows:
            buf.append(row)
            if len(buf) >= BATCH:
                self.conn.execute(stmt, buf)
                n += len(buf)
                buf = []
        if buf:
            self.conn.execute(stmt, buf)
            n += len(buf)
        self.counts[table.name] = self.counts.get(table.name, 0) + n


    def _copy(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
        """COPY … FROM STDIN through psycopg's `cursor.copy`, in this transaction; values
        go through each column type's bind processor, as an INSERT would send them."""
        it = iter(rows)
        first = next(it, None)
        if first is None:
            self.counts.setdefault(table.name, 0)
            return
        columns = list(first)
        dialect = self.conn.dialect
        procs = [table.c[c].type._cached_bind_processor(dialect)  # noqa: SLF001
                 for c in columns]
        names = ", ".join(f'"{c}"' for c in columns)
        raw = self.conn.connection.driver_connection
        n = 0
        with raw.cursor() as cur, cur.copy(
                f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in _chain(first, it):
                copy.write_row([v if p is None or v is None else p(v)
                                for p, v in zip(procs, (row.get(c) for c in columns),
                                                strict=True)])
                n += 1
        self.counts[table.name] = self.counts.get(table.name, 0) + n


def _chain(first: dict[str, Any], rest: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield first
    yield from rest


def _search_triggers(conn: sa.Connection, enabled: bool) -> list[str]:
    """Switch the search index's row triggers (valuetracker/search.py) off or on (PostgreSQL);
    returns the tables touched."""
    from valuetracker.search import SOURCES

    tables = []
    for s in SOURCES:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_trigger WHERE tgname = :n"),
                              {"n": f"search_{s.kind}"}).first()
        if exists:
            conn.exec_driver_sql(f'ALTER TABLE "{s.table}" '
                                 f'{"ENABLE" if enabled else "DISABLE"} TRIGGER search_{s.kind}')
            tables.append(s.table)
    return tables


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def _reset_database(url: str) -> None:
    """An empty schema at the newest migration."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _create_postgres_database(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    upgrade_database(url)


def _upgrade_if_behind(url: str, log: Callable[[str], None]) -> None:
    """Apply migrations newer than a reused data set (a new rollup table is built from
    the data set's rows by its migration)."""
    from valuetracker.db import schema_revisions, upgrade_database

    current, head = schema_revisions(url)
    if current != head:
        log(f"  upgrading the data set's schema {current} -> {head}")
        upgrade_database(url)


def sync_indexes(url: str, log: Callable[[str], None] = print) -> list[str]:
    """Make the database's `ix_*` indexes those the models declare.

    The data sets are built through the migration, which the lead regenerates from the
    models; until then an index added to (or dropped from) a model would not be in the
    data set, so its effect could not be measured. Returns what was changed.
    """
    engine = make_engine(url)
    changes: list[str] = []
    try:
        inspector = sa.inspect(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                present = {ix["name"] for ix in inspector.get_indexes(table.name)}
                declared = {ix.name: ix for ix in table.indexes
                            if ix.info.get("dialect", engine.dialect.name)
                            == engine.dialect.name}
                for name, index in declared.items():
                    if name not in present:
                        index.create(conn)
                        changes.append(f"created {name}")
                for name in sorted(present - set(declared)):
                    if name and name.startswith("ix_"):
                        conn.execute(sa.text(f'DROP INDEX "{name}"'))
                        changes.append(f"dropped {name}")
        if changes:
            with engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
            log("  indexes not yet in the migration: " + ", ".join(changes))
    finally:
        engine.dispose()
    return changes


def _create_postgres_database(url: str) -> None:
    """CREATE DATABASE when the URL names one that does not exist yet."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def _after_load(engine: sa.Engine) -> None:
    """Statistics for the planner, sequences past our ids, WAL folded into the file."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is not False \
                        and isinstance(table.c.id.type, sa.Integer):
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"COALESCE((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"
                    ))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
        with engine.connect() as conn:
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _count_rows(engine: sa.Engine, table: str) -> int | None:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
    except sa.exc.DBAPIError:
        return None


def generate(scale: Scale, url: str, *, anchor: date | None = None, regenerate: bool = False,
             data_dir: Path = DATA_DIR, password_hash: str | None = None,
             search_rebuild: bool = True,
             log: Callable[[str], None] = print) -> GenerationResult:
    """Build (or reuse) the data set `scale` at `url`; returns counts and timing.

    A data set is reused when the sidecar file records the same parameter hash
    (generator version, seed, scale, anchor day) and the account count still matches.
    """
    anchor = anchor or date.today()
    digest = params_hash(scale, anchor)
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_path = _meta_path(url, data_dir)
    if not regenerate and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        engine = make_engine(url)
        try:
            accounts = _count_rows(engine, "account")
        finally:
            engine.dispose()
        if meta.get("params_hash") == digest and accounts == scale.accounts:
            log(f"  reusing {scale.name} data set ({digest}) at {_safe_url(url)}")
            _upgrade_if_behind(url, log)
            sync_indexes(url, log)
            return GenerationResult(scale.name, url, digest, meta["seconds"], True,
                                    meta["counts"], anchor.isoformat())
    log(f"  generating {scale.name} data set at {_safe_url(url)} ...")
    if password_hash is None:
        from valuetracker.security import hash_password

        password_hash = hash_password(BENCH_PASSWORD)
    started = time.perf_counter()
    phases: dict[str, float] = {}
    _reset_database(url)
    sync_indexes(url, log)
    phases["schema"] = time.perf_counter() - started
    engine = make_engine(url)
    try:
        gen = Generator(scale, anchor, password_hash)
        postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:
            if not postgres:
                # Bulk load only: no need to survive a power cut mid-generation.
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
            # The search index's triggers index row by row; on PostgreSQL one rebuild after
            # the load is faster (README: "PostgreSQL"). SQLite keeps its triggers.
            rebuild = postgres and search_rebuild
            if rebuild:
                _search_triggers(conn, enabled=False)
            writer = _Writer(conn)
            mark = time.perf_counter()
            for table, rows in gen.steps():
                writer.write(table, rows())
            counts = writer.counts
            phases["rows"] = time.perf_counter() - mark
            # The rows went in without the ORM: the rollups are built once, set-based.
            from valuetracker.rollups.build import rebuild_all

            mark = time.perf_counter()
            rebuild_all(conn)
            phases["rollups"] = time.perf_counter() - mark
            if rebuild:
                from valuetracker.search import rebuild_index

                mark = time.perf_counter()
                _search_triggers(conn, enabled=True)
                rebuild_index(conn)
                phases["search index"] = time.perf_counter() - mark
            mark = time.perf_counter()
            from valuetracker.rollups.deals import rebuild as rebuild_deal_rollups

            rebuild_deal_rollups(conn)  # the win/loss rollup, set-based, after the load
            phases["deal rollups"] = time.perf_counter() - mark
            mark = time.perf_counter()
            from valuetracker.rollups.coverage import rebuild as rebuild_coverage_rollups

            rebuild_coverage_rollups(conn)  # the coverage counts per account, set-based
            phases["coverage rollups"] = time.perf_counter() - mark
            mark = time.perf_counter()
        phases["commit"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _after_load(engine)
        phases["statistics"] = time.perf_counter() - mark
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    meta_path.write_text(json.dumps({"params_hash": digest, "seconds": seconds,
                                     "counts": counts, "scale": scale.name,
                                     "phases": phases}, indent=1))
    log(f"  generated {scale.name} in {seconds:.1f} s "
        f"({sum(counts.values()):,} rows in {len(counts)} tables; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()) + ")")
    return GenerationResult(scale.name, url, digest, seconds, False, counts, anchor.isoformat(),
                            {k: round(v, 2) for k, v in phases.items()})


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


__all__ = ["ADMIN_EMAIL", "BENCH_PASSWORD", "SCALES", "Scale", "GenerationResult", "generate",
           "params_hash", "sqlite_url", "tiny_scale", "Generator"]
