"""Diagnose one page: `python -m bench.explain L "account page" [--plans]`.

Prints every statement one request sends, slowest first, with its time, and with
`--plans` the database's plan for the slowest ones (SQLite EXPLAIN QUERY PLAN,
PostgreSQL EXPLAIN). Uses an already generated data set (run `make bench` first). A
"first view after a change" row makes its committed write before each request explained
or profiled, as the bench does, so what is shown is the recompute, not the cached figure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .generate import SCALES, sqlite_url
from .pages import PAGES, PageSpec, _Target, api_headers, explain_queries, resolve_url
from .probe import find_probe
from .run import make_app


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.explain")
    p.add_argument("scale", choices=list(SCALES))
    p.add_argument("page", choices=[spec.name for spec in PAGES])
    p.add_argument("--database-url", default=None)
    p.add_argument("--plans", type=int, default=0, help="show plans of the N slowest")
    p.add_argument("--profile", type=int, default=0,
                   help="also profile one request (cProfile) and show the N costliest calls")
    args = p.parse_args(argv)
    url = (args.database_url or sqlite_url(SCALES[args.scale])).replace(
        "{scale}", args.scale.lower())
    app = make_app(url, Path(tempfile.mkdtemp(prefix="vt-explain-")))
    engine: sa.Engine = app.extensions["valuetracker.engine"]
    probe = find_probe(engine)
    spec = next(s for s in PAGES if s.name == args.page)
    path = resolve_url(app, spec, probe)
    if path is None:
        print("endpoint missing")
        return 1
    change = _change_before(args.scale, app, probe, spec)
    try:
        change()
        explain_queries(app, probe, path, api=spec.api)  # warm
        change()
        statements = explain_queries(app, probe, path, api=spec.api)
        if args.profile:
            _profile(app, probe, path, args.profile, api=spec.api, change=change)
    finally:
        change.close()
    total = sum(ms for ms, _ in statements)
    print(f"{path}: {len(statements)} statements, {total:.1f} ms in SQL"
          + (" (SQLite: time to the first row; fetching the rest is not counted)"
             if engine.dialect.name == "sqlite" else ""))
    ranked = sorted(statements, reverse=True)
    for ms, sql in ranked:
        print(f"\n{ms:8.2f} ms  {sql[:1200]}")
    for ms, sql in ranked[:args.plans]:
        statement, _sep, params = sql.rpartition(" -- ")
        print(f"\n=== plan ({ms:.1f} ms)\n{statement[:300]}")
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            try:
                parameters = eval(params, {}, {})  # noqa: S307 - our own repr of the params
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            except Exception as exc:  # noqa: BLE001 - a diagnostic aid, best effort
                print(f"  (no plan: {exc})")
                continue
        for row in rows:
            print("  ", " | ".join(str(c) for c in row))
    return 0


class _Change:
    """The write an after-change row makes before each request (nothing for the others)."""

    def __init__(self, target: _Target | None, spec: PageSpec) -> None:
        self.target, self.spec = target, spec

    def __call__(self) -> None:
        if self.target is not None:
            (self.spec.bump or _Target.touch)(self.target)

    def close(self) -> None:
        if self.target is not None:
            self.target.close()


def _change_before(scale: str, app: Any, probe: Any, spec: PageSpec) -> _Change:
    return _Change(_Target(scale, app, probe) if spec.after_change else None, spec)


def _profile(app: Any, probe: Any, path: str, top: int, *, api: bool = False,
             change: Any = None) -> None:
    """cProfile of one request: where the time goes when it is not SQL."""
    import cProfile
    import pstats

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = probe.admin_session_id
        sess["_fresh"] = True
    headers = api_headers(probe, api)
    client.get(path, headers=headers).close()
    if change is not None:
        change()
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(path, headers=headers).close()
    profiler.disable()
    print(f"\n=== profile of GET {path}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    raise SystemExit(main())
