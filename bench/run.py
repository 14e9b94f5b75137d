"""`python -m bench`: build the data sets, measure, print the table, write results.json.

Exit status: 0 when the harness ran (targets may FAIL: that is the report), non-zero
when the harness itself broke (an exception in this package, bad arguments).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from valuetracker import create_app

from . import bulk as bulk_mod
from . import digest as digest_mod
from . import export as export_mod
from . import load as load_mod
from . import pages as pages_mod
from . import pdf as pdf_mod
from . import signals as signals_mod
from . import webhooks as webhooks_mod
from .generate import DATA_DIR, SCALES, GenerationResult, generate, sqlite_url
from .probe import Probe, find_probe
from .procs import BENCH_SECRET
from .report import RESULTS_PATH, Report, percentile

SECTIONS = ("pages", "pdf", "batch", "export", "load", "signals", "digest", "webhooks",
            "bulk")

# Targets (issue 7).
PAGE_P95_MS = 150.0
PAGE_GROWTH = 2.0
PAGE_MAX_QUERIES = 25
PDF_MEDIAN_MS = 400.0
PDF_OUTSIDE_SHARE = 0.20
BATCH_SPEEDUP = 1.7
EXPORT_L_SECONDS = 60.0
EXPORT_MEMORY_GROWTH = 1.5
LOAD_P95_MS = 250.0
GENERATE_L_SECONDS = 180.0
SIGNALS_L_SECONDS = 60.0  # issue 16: refreshing every account's signals on L
SIGNALS_WRITE_MS = 200.0  # issue 16: the refresh of one account after a single write
DIGEST_L_SECONDS = 60.0  # issue 16: digests for all users of L
WEBHOOK_BURST_SECONDS = 60.0  # issue 17
BULK_REASSIGN_SECONDS = 10.0  # issue 19: a bulk reassignment of 1,000 accounts
# Issue 18: the first view after a change (a write bumped the data version), p95 on L.
AFTER_CHANGE_P95_MS = {
    "portfolio page, first view after a change": 150.0,
    "win/loss analytics, first view after a change": 150.0,
    "coverage figure, first view after a change": 150.0,
    "account page, first view after a change": 50.0,
}
AFTER_CHANGE_GROWTH = {  # L / S of those p95s
    "portfolio page, first view after a change": 3.0,
    "win/loss analytics, first view after a change": 3.0,
    "coverage figure, first view after a change": 3.0,
}
XL_GROWTH = 2.0  # XL / L, portfolio's first view after a change
MIXED_P95_MS = 150.0  # reads while one client writes twice a second
MIXED_WRITES_PER_SECOND = 2.0


@dataclass
class DataSet:
    scale: str
    url: str
    generation: GenerationResult
    probe: Probe


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--scales", default="S,L,XL",
                   help="comma-separated data sets, small first (XS, S, M, L, XL; default "
                        "S,L,XL; on XL only the portfolio's first view after a change is "
                        "measured, against L)")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"sections to run (default all: {','.join(SECTIONS)})")
    p.add_argument("--database-url", default=None,
                   help="database URL instead of SQLite files in bench/data; may contain "
                        "{scale}, e.g. postgresql+psycopg://postgres@127.0.0.1/vt_bench_{scale}")
    p.add_argument("--regenerate", action="store_true", help="rebuild data sets even if reusable")
    p.add_argument("--requests", type=int, default=30, help="timed requests per page")
    p.add_argument("--pdf-renders", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--batch-rounds", type=int, default=2,
                   help="batches with 1 and with 2 workers, alternating (medians reported)")
    p.add_argument("--load-seconds", type=float, default=15)
    p.add_argument("--load-clients", type=int, default=8)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/7",
                   help="queue for the batch's worker ('' = the SQLite queue)")
    p.add_argument("--results", type=Path, default=RESULTS_PATH)
    p.add_argument("--pages", default="",
                   help="only the pages whose names contain one of these comma-separated "
                        "words (default: every page)")
    args = p.parse_args(argv)
    args.scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in args.scales if s not in SCALES]
    if unknown:
        p.error(f"unknown scale(s) {unknown}; choose from {list(SCALES)}")
    if args.database_url and len(args.scales) > 1 and "{scale}" not in args.database_url:
        p.error("--database-url needs {scale} in it when measuring several scales "
                "(each data set lives in its own database)")
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.only - set(SECTIONS):
        p.error(f"unknown section(s) {sorted(args.only - set(SECTIONS))}")
    return args


def make_app(url: str, workdir: Path) -> Flask:
    return create_app({
        "DATABASE_URL": url,
        "SECRET_KEY": BENCH_SECRET,
        "ENV": "development",
        "REPORTS_DIR": str(workdir / "reports"),
        "OUTBOX_DIR": str(workdir / "outbox"),
        "HUEY_SQLITE_PATH": str(workdir / "jobs.sqlite"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
    })


def _url_for_scale(args: argparse.Namespace, scale: str) -> str:
    if args.database_url:
        return args.database_url.replace("{scale}", scale.lower())
    return sqlite_url(SCALES[scale])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    log: Callable[[str], None] = lambda msg: print(msg, flush=True)  # noqa: E731
    workroot = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    try:
        backends = plan_backends(args, os.environ.get(POSTGRES_ENV, "").strip())
        report.remarks.extend(backend_remarks(backends))
        for n, (label, url_of) in enumerate(backends):
            log(f"==== {label}")
            report.database = label
            _run_backend(report, args, url_of, primary=n == 0,
                         workroot=workroot / label.lower(), log=log)
        report.database = ""
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    report.figures.sort(key=lambda f: SECTION_ORDER.get(f.section, 99))
    print()
    for block in report.preamble:
        print(block + "\n")
    print(report.table())
    report.write_json(args.results)
    print(f"\nwritten {args.results}")
    return 0


POSTGRES_ENV = "VALUETRACKER_BENCH_POSTGRES_URL"
POSTGRES, SQLITE = "PostgreSQL", "SQLite"
NOT_MEASURED = f"PostgreSQL: not measured (set {POSTGRES_ENV})"


def database_label(url: str) -> str:
    return POSTGRES if url.startswith("postgresql") else SQLITE


def postgres_url_for(base: str, scale: str) -> str:
    """The database of one data set: `{scale}` filled in, else `_<scale>` added to the
    database name of `base` (vt_bench when it names none)."""
    if "{scale}" in base:
        return base.replace("{scale}", scale.lower())
    url = sa.engine.make_url(base)
    name = url.database or "vt_bench"
    return url.set(database=f"{name}_{scale.lower()}").render_as_string(hide_password=False)


def plan_backends(args: argparse.Namespace, postgres_base: str
                  ) -> list[tuple[str, Callable[[str], str]]]:
    """(label, scale -> URL) per database to measure: the primary one (SQLite files, or
    --database-url), then PostgreSQL from VALUETRACKER_BENCH_POSTGRES_URL when set and
    the primary is not PostgreSQL already."""
    backends: list[tuple[str, Callable[[str], str]]] = []
    if args.database_url:
        backends.append((database_label(args.database_url),
                         lambda scale: _url_for_scale(args, scale)))
    else:
        backends.append((SQLITE, lambda scale: sqlite_url(SCALES[scale])))
    if postgres_base and backends[0][0] != POSTGRES:
        backends.append((POSTGRES, lambda scale: postgres_url_for(postgres_base, scale)))
    return backends


def backend_remarks(backends: list[tuple[str, Callable[[str], str]]]) -> list[str]:
    """The line under the table when PostgreSQL is not part of the run."""
    return [] if any(label == POSTGRES for label, _url in backends) else [NOT_MEASURED]


def _run_backend(report: Report, args: argparse.Namespace, url_of: Callable[[str], str], *,
                 primary: bool, workroot: Path, log: Callable[[str], None]) -> None:
    """Every data set on one database. The pages (first views after a change included)
    and the load with writes run on each database; the PDF, batch, export, plain load,
    webhook and bulk sections on the primary one."""
    today = date.today()
    page_scales = [s for s in args.scales if s != "XL"] or args.scales
    small, large = page_scales[0], page_scales[-1]
    page_results: dict[str, list[pages_mod.PageResult]] = {}
    xl_results: list[pages_mod.PageResult] = []
    xl_large_results: list[pages_mod.PageResult] = []
    exports: dict[str, export_mod.ExportResult] = {}
    datasets: list[DataSet] = []
    apps: dict[str, Flask] = {}
    for scale in args.scales:
        log(f"== data set {scale}")
        url = url_of(scale)
        gen = generate(SCALES[scale], url, anchor=today, regenerate=args.regenerate,
                       data_dir=DATA_DIR, log=log)
        report.generation.append({**gen.to_json(), "database": report.database})
        is_l = scale == "L"
        report.add("generate", f"{scale} data set ({sum(gen.counts.values()):,} rows)",
                   scale, "time" + (" (recorded, reused)" if gen.reused else ""),
                   gen.seconds, "s", target=f"<= {GENERATE_L_SECONDS:.0f} s" if is_l else "",
                   ok=(gen.seconds <= GENERATE_L_SECONDS) if is_l else None,
                   note="COPY" if url.startswith("postgresql") else "")
        vacuum(url)
        engine = _engine_for(url)
        probe = find_probe(engine, anchor=today)
        engine.dispose()
        datasets.append(DataSet(scale, url, gen, probe))
        apps[scale] = make_app(url, workroot / scale)
    measured = [d for d in datasets if d.scale in page_scales]
    xl = next((d for d in datasets if d.scale == "XL" and d not in measured), None)
    if "pages" in args.only:
        log("-- pages (requests alternate between " + ", ".join(
            f"{d.scale}: account {d.probe.account_slug} with {d.probe.account_entries} "
            f"value entries" for d in measured) + ")")
        page_results = pages_mod.measure_pages(
            [(d.scale, apps[d.scale], d.probe) for d in measured],
            requests=args.requests, pages=pages_mod.select_pages(args.pages), log=log)
        if xl is not None:
            # Alternating with the largest other scale, as S and L alternate: the growth is
            # then a ratio of requests made under the same load (a spike on a busy machine
            # hits both).
            log(f"-- XL: the portfolio's first view after a change, alternating with "
                f"{measured[-1].scale}")
            both = pages_mod.measure_pages(
                [(d.scale, apps[d.scale], d.probe) for d in (measured[-1], xl)],
                requests=args.requests, pages=pages_mod.XL_PAGES, log=log)
            xl_results, xl_large_results = both[xl.scale], both[measured[-1].scale]
    big = measured[-1]
    if "signals" in args.only:
        for d in measured:
            log(f"-- signals on {d.scale}")
            _signals(report, apps[d.scale], d, is_large=d.scale == large)
    if primary and "pdf" in args.only:
        log(f"-- summary PDF on {big.scale}")
        _pdf(report, apps[big.scale], big, args)
    for app in apps.values():
        app.extensions["valuetracker.engine"].dispose()
    if primary and "export" in args.only:
        for d in measured:
            log(f"-- export on {d.scale}")
            exports[d.scale] = e = export_mod.run_export(d.url, d.probe.quarter,
                                                         workroot / d.scale / "export")
            log(f"    {e.seconds and round(e.seconds, 2)} s, "
                f"{e.max_rss_mib and round(e.max_rss_mib, 1)} MiB {e.error or ''}")
    if primary and "digest" in args.only:
        for d in measured:
            log(f"-- digests for every user on {d.scale}")
            _digest(report, d, workroot / d.scale / "digest")
    if primary and "batch" in args.only:
        log(f"-- batch of {args.batch_size} summaries on {big.scale}")
        _batch(report, big, args, workroot / big.scale)
    if "load" in args.only:
        vacuum(big.url)  # after the pages' and signals' writes
    if primary and "load" in args.only:
        log(f"-- load: gunicorn -w 2, {args.load_clients} clients, "
            f"{args.load_seconds:.0f} s on {big.scale}")
        _load(report, big, args, workroot / big.scale)
    if "load" in args.only:
        log(f"-- load with writes: gunicorn -w 2, {args.load_clients} readers + 1 writer, "
            f"{args.load_seconds:.0f} s on {big.scale}")
        _mixed_load(report, big, args, workroot / big.scale / "mixed")
    if primary and "webhooks" in args.only:
        log(f"-- webhooks: a burst of {webhooks_mod.EVENTS} events, 2 workers")
        _webhooks(report, args, workroot / "webhooks")
    if primary and "bulk" in args.only:
        log(f"-- bulk reassignment of {bulk_mod.COUNT:,} accounts on {big.scale}")
        _bulk(report, big, workroot / big.scale / "bulk")
    _pages_figures(report, page_results, small, large)
    xl_name = pages_mod.XL_PAGES[0].name
    if xl_results or any(r.name == xl_name for r in page_results.get(large, [])):
        # Without XL in --scales its rows say "not measured" rather than vanish.
        _xl_figures(report, xl_results, xl_large_results, large)
    _export_figures(report, exports, small, large)


SECTION_ORDER = {"generate": 0, "pages": 1, "pdf": 2, "batch": 3, "export": 4, "load": 5,
                 "signals": 6, "digest": 7, "webhooks": 8, "bulk": 9}


def _signals(report: Report, app: Flask, data: DataSet, *, is_large: bool) -> None:
    r = signals_mod.measure_signals(app, data.probe)
    scale = data.scale
    target = f"<= {SIGNALS_L_SECONDS:.0f} s" if is_large else ""
    report.add("signals", "refresh, every account", scale, "time", r.full_seconds, "s",
               target=target,
               ok=(r.full_seconds is not None and r.full_seconds <= SIGNALS_L_SECONDS)
               if is_large else None,
               note=f"{r.accounts:,} accounts, {r.opened:,} signals opened, "
                    f"{r.full_cpu_seconds or 0:.1f} s CPU")
    report.add("signals", "refresh after one write", scale, "median", r.incremental_median,
               "ms", target=f"<= {SIGNALS_WRITE_MS:.0f} ms",
               ok=(r.incremental_median or 0) <= SIGNALS_WRITE_MS,
               note=f"slowest of {len(r.incremental_ms)}: {r.incremental_max or 0:.0f} ms; "
                    f"CPU median {statistics.median(r.incremental_cpu_ms or [0]):.0f} ms")
    print(f"    all: {r.full_seconds and round(r.full_seconds, 2)} s ({r.opened} opened); "
          f"one write: {r.incremental_median and round(r.incremental_median)} ms", flush=True)



def _digest(report: Report, data: DataSet, workdir: Path) -> None:
    r = digest_mod.run_digests(data.url, workdir)
    is_l = data.scale == "L"
    target = f"<= {DIGEST_L_SECONDS:.0f} s" if is_l else ""
    item = "daily digests, every user" + (" (dry run)" if r.dry_run else "")
    if r.error or r.seconds is None:
        report.missing("digest", item, data.scale, "time", target or "-", r.error or "n/a")
        return
    report.add("digest", item, data.scale, "time", r.seconds, "s", target=target,
               ok=(r.seconds <= DIGEST_L_SECONDS) if is_l else None,
               note=f"{r.users} digests" if r.users is not None else "")
    print(f"    {r.seconds:.2f} s, {r.users} digests", flush=True)




def _webhooks(report: Report, args: argparse.Namespace, workdir: Path) -> None:
    item = f"burst of {webhooks_mod.EVENTS:,} events"
    r = webhooks_mod.run_burst(workdir, workers=2, redis_url=args.redis_url or None)
    print(f"    {r.delivered} delivered in {r.seconds and round(r.seconds, 1)} s "
          f"(events written in {r.emit_seconds and round(r.emit_seconds, 1)} s) "
          f"{r.error or ''}", flush=True)
    if r.seconds is None:
        report.missing("webhooks", item, "-", "all delivered, 2 workers",
                       f"<= {WEBHOOK_BURST_SECONDS:.0f} s", r.error or "not delivered")
        return
    report.add("webhooks", item, "-", "all delivered, 2 workers", r.seconds, "s",
               target=f"<= {WEBHOOK_BURST_SECONDS:.0f} s",
               ok=r.seconds <= WEBHOOK_BURST_SECONDS and r.bad_signatures == 0,
               note=f"{r.bad_signatures} bad signatures; events written in "
                    f"{r.emit_seconds or 0:.1f} s")
    report.add("webhooks", item, "-", "event to delivery p95",
               webhooks_mod.p95(r.latencies_ms), "ms")


def _bulk(report: Report, data: DataSet, workdir: Path) -> None:
    item = f"bulk reassign of {bulk_mod.COUNT:,} accounts (the job)"
    target = f"<= {BULK_REASSIGN_SECONDS:.0f} s"
    r = bulk_mod.run_bulk_reassign(data.url, workdir)
    print(f"    {r.seconds and round(r.seconds, 2)} s, {r.changed} changed {r.error or ''}",
          flush=True)
    if r.seconds is None or r.error:
        report.missing("bulk", item, data.scale, "time", target, r.error or "n/a")
        return
    report.add("bulk", item, data.scale, "time", r.seconds, "s", target=target,
               ok=r.seconds <= BULK_REASSIGN_SECONDS, note=f"{r.changed:,} accounts changed")


def _engine_for(url: str) -> Any:
    from valuetracker.db import make_engine

    return make_engine(url)


def vacuum(url: str) -> None:
    """On PostgreSQL, VACUUM ANALYZE the data set before it is measured. A server vacuums
    by itself (autovacuum); one with it switched off (as this machine's) keeps every row
    the bench's own writes left dead (signal refreshes, the writes before each first view,
    a day's earlier runs on the reused data set: 130,000 dead signal and task rows beside
    8,000 live ones), and the load with writes read 177 ms p95 instead of 102."""
    if not url.startswith("postgresql"):
        return
    engine = _engine_for(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def _pages_overview(results: dict[str, list[pages_mod.PageResult]]) -> str:
    """One line per page, every data set side by side (wall p50/p95, CPU p50, queries)."""
    scales = list(results)
    head = f"{'page':36}" + "".join(f"| {s + ' p50/p95/CPU ms, queries':38}" for s in scales)
    lines = [head, "-" * len(head)]
    for i, first in enumerate(next(iter(results.values()))):
        cells = []
        for s in scales:
            r = results[s][i]
            if r.times_ms:
                p50, p95 = percentile(r.times_ms, 50), percentile(r.times_ms, 95)
                cpu = percentile(r.cpu_ms, 50)
                cells.append(f"| {p50:6.1f} /{p95:6.1f} /{cpu:6.1f}, {max(r.queries):3d} q{'':11}")
            else:
                cells.append(f"| {(r.error or 'n/a')[:37]:38}")
        lines.append(f"{first.name:36}" + "".join(cells))
    return "\n".join(lines)


def _pages_figures(report: Report, results: dict[str, list[pages_mod.PageResult]],
                   small: str, large: str) -> None:
    if not results:
        return
    report.preamble.append(_pages_overview(results))
    names = [r.name for r in next(iter(results.values()))]
    for i, name in enumerate(names):
        per_scale = {scale: res[i] for scale, res in results.items()}
        spec = next((p for p in pages_mod.PAGES if p.name == name), None)
        if spec is not None and spec.after_change:
            _after_change_figures(report, name, per_scale, small, large)
            continue
        # A row's own target (the API lists: 50 ms), else the pages' one.
        target = spec.p95_ms if spec is not None and spec.p95_ms else PAGE_P95_MS
        for scale, r in per_scale.items():
            if not r.ok:
                why = r.error or f"HTTP {sorted(set(r.statuses))}"
                report.missing("pages", name, scale, "p95", f"<= {target:.0f} ms", why)
                continue
            p50, p95 = percentile(r.times_ms, 50), percentile(r.times_ms, 95)
            report.add("pages", name, scale, "p50", p50, "ms")
            is_large = scale == large
            slow = "; ".join(f"{ms:.0f} ms: {sql[:160]}" for ms, sql in r.slowest
                             if ms >= 5)
            report.add("pages", name, scale, "p95", p95, "ms",
                       target=f"<= {target:.0f} ms" if is_large else "",
                       ok=(p95 <= target) if is_large else None,
                       note=f"slowest SQL: {slow}" if is_large and p95 > target / 2
                       and slow else "")
            q = max(r.queries)
            report.add("pages", name, scale, "queries", q, "",
                       target=f"<= {PAGE_MAX_QUERIES}", ok=q <= PAGE_MAX_QUERIES,
                       note="" if min(r.queries) == q else f"varies {min(r.queries)}-{q}")
        s, l_ = per_scale.get(small), per_scale.get(large)
        if small != large and s is not None and l_ is not None:
            both = f"{small}/{large}"
            if s.ok and l_.ok:
                ratio = percentile(l_.times_ms, 95) / percentile(s.times_ms, 95)
                report.add("pages", name, both, "p95 growth", ratio, "x",
                           target=f"<= {PAGE_GROWTH:.0f}x", ok=ratio <= PAGE_GROWTH)
                qs, ql = max(s.queries), max(l_.queries)
                report.add("pages", name, both, "same queries", ql - qs, "",
                           target=f"0 more on {large}", ok=qs == ql,
                           note="" if qs == ql else f"{qs} on {small}, {ql} on {large}")
            else:
                report.missing("pages", name, both, "p95 growth", f"<= {PAGE_GROWTH:.0f}x",
                               "n/a (page not measurable)")


def _after_change_figures(report: Report, name: str,
                          per_scale: dict[str, pages_mod.PageResult], small: str,
                          large: str) -> None:
    """p50, CPU and p95 of a first view after a change; targets on the large data set and
    on its growth from the small one."""
    limit = AFTER_CHANGE_P95_MS.get(name)
    for scale, r in per_scale.items():
        is_large = scale == large and limit is not None
        target = f"<= {limit:.0f} ms" if is_large and limit is not None else ""
        if not r.ok:
            report.missing("pages", name, scale, "p95", target or "-",
                           r.error or f"HTTP {sorted(set(r.statuses))}")
            continue
        p95 = percentile(r.times_ms, 95)
        report.add("pages", name, scale, "p50", percentile(r.times_ms, 50), "ms")
        report.add("pages", name, scale, "CPU p50", percentile(r.cpu_ms, 50), "ms")
        slow = "; ".join(f"{ms:.0f} ms: {sql[:160]}" for ms, sql in r.slowest if ms >= 5)
        report.add("pages", name, scale, "p95", p95, "ms", target=target,
                   ok=(p95 <= limit) if is_large and limit is not None else None,
                   note=f"slowest SQL: {slow}" if is_large and slow
                   and limit is not None and p95 > limit else "")
    growth = AFTER_CHANGE_GROWTH.get(name)
    s, l_ = per_scale.get(small), per_scale.get(large)
    if growth is None or small == large or s is None or l_ is None:
        return
    both, target = f"{small}/{large}", f"<= {growth:.0f}x"
    if s.ok and l_.ok:
        ratio = percentile(l_.times_ms, 95) / percentile(s.times_ms, 95)
        report.add("pages", name, both, "p95 growth", ratio, "x", target=target,
                   ok=ratio <= growth)
    else:
        report.missing("pages", name, both, "p95 growth", target, "n/a (page not measurable)")


def _xl_figures(report: Report, xl: list[pages_mod.PageResult],
                large_results: list[pages_mod.PageResult], large: str) -> None:
    """XL's portfolio first view after a change, and its growth from L (issue 18)."""
    name = pages_mod.XL_PAGES[0].name
    r = next((x for x in xl if x.name == name), None)
    l_ = next((x for x in large_results if x.name == name), None)
    target = f"<= {XL_GROWTH:.0f}x"
    if r is None or not r.ok:
        why = (r.error if r is not None else None) or "n/a (not measured)"
        report.missing("pages", name, "XL", "p95", "-", why)
        report.missing("pages", name, f"{large}/XL", "p95 growth", target, why)
        return
    p95 = percentile(r.times_ms, 95)
    report.add("pages", name, "XL", "p50", percentile(r.times_ms, 50), "ms")
    report.add("pages", name, "XL", "CPU p50", percentile(r.cpu_ms, 50), "ms")
    report.add("pages", name, "XL", "p95", p95, "ms")
    if l_ is None or not l_.ok:
        report.missing("pages", name, f"{large}/XL", "p95 growth", target,
                       f"n/a ({large} not measurable)")
        return
    ratio = p95 / percentile(l_.times_ms, 95)
    report.add("pages", name, f"{large}/XL", "p95 growth", ratio, "x", target=target,
               ok=ratio <= XL_GROWTH)


def _pdf(report: Report, app: Flask, data: DataSet, args: argparse.Namespace) -> None:
    res = pdf_mod.measure_pdf(app, data.probe, renders=args.pdf_renders)
    scale = data.scale
    if res.error:
        report.missing("pdf", "stakeholder summary", scale, "median", f"<= {PDF_MEDIAN_MS:.0f} ms",
                       res.error)
        report.missing("pdf", "stakeholder summary", scale, "outside WeasyPrint",
                       f"<= {PDF_OUTSIDE_SHARE:.0%}", res.error)
        return
    report.add("pdf", "stakeholder summary", scale, "median", res.median_ms, "ms",
               target=f"<= {PDF_MEDIAN_MS:.0f} ms", ok=res.median_ms <= PDF_MEDIAN_MS,
               note=f"{res.pages} pages, {res.pages_bytes:,} bytes")
    report.add("pdf", "stakeholder summary", scale, "WeasyPrint alone (median)", res.weasy_ms,
               "ms")
    report.add("pdf", "stakeholder summary", scale, "data + templating (median)", res.html_ms,
               "ms")
    share = res.outside_share
    report.add("pdf", "stakeholder summary", scale, "outside WeasyPrint",
               None if share is None else share * 100, "%",
               target=f"<= {PDF_OUTSIDE_SHARE:.0%}",
               ok=None if share is None else share <= PDF_OUTSIDE_SHARE)
    print(f"    median {res.median_ms:.0f} ms, WeasyPrint {res.weasy_ms:.0f} ms, "
          f"data+templating {res.html_ms:.0f} ms", flush=True)


def _batch(report: Report, data: DataSet, args: argparse.Namespace, workdir: Path) -> None:
    why = pdf_mod.batch_available()
    item = f"batch of {args.batch_size}"
    if why:
        for w in (1, 2):
            report.missing("batch", item, data.scale, f"{w} worker(s) PDFs/s", "-", why)
        report.missing("batch", item, data.scale, "2 vs 1 workers", f">= {BATCH_SPEEDUP}x", why)
        return
    slugs = pdf_mod.pick_batch_accounts(_engine_for(data.url), args.batch_size)
    # The quarter before those the generator already summarised: nothing to skip.
    quarter = _quarter_back(data.probe.current_quarter, 3)
    # 1 and 2 workers alternate, so a slow spell of the machine hits both alike.
    results: dict[int, list[pdf_mod.BatchResult]] = {1: [], 2: []}
    for _round in range(max(1, args.batch_rounds)):
        for workers in (1, 2):
            r = pdf_mod.run_batch(data.url, quarter, workers, slugs, workdir,
                                  redis_url=args.redis_url or None)
            results[workers].append(r)
            print(f"    {workers} worker(s): {r.summaries} summaries in "
                  f"{r.seconds and round(r.seconds, 1)} s {r.error or ''}", flush=True)
    throughput: dict[int, float | None] = {}
    for workers, runs in results.items():
        failed = next((r for r in runs if r.throughput is None), None)
        if failed is not None:
            throughput[workers] = None
            report.missing("batch", item, data.scale, f"{workers} worker(s) PDFs/s", "-",
                           failed.error or "no summaries written")
            continue
        throughput[workers] = statistics.median(r.throughput or 0.0 for r in runs)
        report.add("batch", item, data.scale, f"{workers} worker(s) PDFs/s",
                   throughput[workers], "/s",
                   note="median of " + ", ".join(f"{r.summaries} in {r.seconds:.1f} s"
                                                 for r in runs)
                   + "".join(f"; {r.error}" for r in runs if r.error))
    t1, t2 = throughput[1], throughput[2]
    if t1 and t2:
        report.add("batch", item, data.scale, "2 vs 1 workers", t2 / t1, "x",
                   target=f">= {BATCH_SPEEDUP}x", ok=t2 / t1 >= BATCH_SPEEDUP)
    else:
        report.missing("batch", item, data.scale, "2 vs 1 workers", f">= {BATCH_SPEEDUP}x",
                       "n/a (a batch failed)")


def _quarter_back(label: str, n: int) -> str:
    from valuetracker.quarters import parse_quarter

    q = parse_quarter(label)
    for _ in range(n):
        q = q.previous()
    return q.label


def _export_figures(report: Report, exports: dict[str, export_mod.ExportResult],
                    small: str, large: str) -> None:
    for scale, e in exports.items():
        is_large = scale == large
        target = f"<= {EXPORT_L_SECONDS:.0f} s" if is_large else ""
        if e.error or e.seconds is None:
            report.missing("export", "quarterly xlsx", scale, "time", target or "-",
                           e.error or "n/a")
            continue
        report.add("export", "quarterly xlsx", scale, "time", e.seconds, "s", target=target,
                   ok=(e.seconds <= EXPORT_L_SECONDS) if is_large else None,
                   note=f"{(e.size_bytes or 0) / 1e6:.1f} MB workbook")
        report.add("export", "quarterly xlsx", scale, "peak RSS", e.max_rss_mib, "MiB")
    s, l_ = exports.get(small), exports.get(large)
    if small != large and s is not None and l_ is not None:
        target = f"<= {EXPORT_MEMORY_GROWTH}x"
        if s.max_rss_mib and l_.max_rss_mib and not s.error and not l_.error:
            ratio = l_.max_rss_mib / s.max_rss_mib
            report.add("export", "quarterly xlsx", f"{small}/{large}", "peak RSS growth", ratio,
                       "x", target=target, ok=ratio <= EXPORT_MEMORY_GROWTH)
        else:
            report.missing("export", "quarterly xlsx", f"{small}/{large}", "peak RSS growth",
                           target, "n/a (an export failed)")


def _load(report: Report, data: DataSet, args: argparse.Namespace, workdir: Path) -> None:
    app = make_app(data.url, workdir)
    try:
        spec = next(p for p in pages_mod.PAGES if p.name == "account page")
        path = pages_mod.resolve_url(app, spec, data.probe)
    finally:
        app.extensions["valuetracker.engine"].dispose()
    item = f"account page, {args.load_clients} clients"
    if path is None:
        for metric, target in (("errors", "0"), ("p95", f"<= {LOAD_P95_MS:.0f} ms")):
            report.missing("load", item, data.scale, metric, target, "n/a (endpoint missing)")
        return
    started = time.perf_counter()
    try:
        r = load_mod.run_load(data.url, path, workdir / "load", clients=args.load_clients,
                              seconds=args.load_seconds)
    except RuntimeError as exc:  # gunicorn did not start, login failed, page not 200
        for metric, target in (("errors", "0"), ("p95", f"<= {LOAD_P95_MS:.0f} ms")):
            report.missing("load", item, data.scale, metric, target, str(exc)[:200])
        return
    print(f"    {r.tool}: {r.requests} requests, {r.rps:.1f}/s, p95 {r.p95_ms:.0f} ms, "
          f"{r.errors} errors ({time.perf_counter() - started:.0f} s)", flush=True)
    if r.error:
        for metric, target in (("errors", "0"), ("p95", f"<= {LOAD_P95_MS:.0f} ms")):
            report.missing("load", item, data.scale, metric, target, r.error)
        return
    report.add("load", item, data.scale, "requests/s", r.rps, "/s",
               note=f"{r.tool}, {r.requests} requests")
    report.add("load", item, data.scale, "p50", r.p50_ms, "ms")
    report.add("load", item, data.scale, "p95", r.p95_ms, "ms",
               target=f"<= {LOAD_P95_MS:.0f} ms", ok=r.p95_ms <= LOAD_P95_MS)
    report.add("load", item, data.scale, "errors", r.errors, "", target="0", ok=r.errors == 0)


# The pages the mixed load browses (name in the report -> PageSpec name), My work at `/`
# when the app has it.
MIXED_PAGES = ("accounts list, page 1", "account page", "account value page",
               "portfolio page", "win/loss analytics")


def mixed_reads(app: Flask, probe: Probe) -> dict[str, str]:
    """name -> path of each page the readers cycle through (pages the app lacks left out)."""
    reads: dict[str, str] = {}
    for name in MIXED_PAGES:
        spec = next(p for p in pages_mod.PAGES if p.name == name)
        path = pages_mod.resolve_url(app, spec, probe)
        if path is not None:
            reads[name] = path
    for endpoint in ("work.index", "tasks.my_work", "work.my_work"):
        if endpoint in app.view_functions:
            with app.test_request_context():
                from flask import url_for

                reads["My work"] = url_for(endpoint)
            break
    return reads


def _mixed_load(report: Report, data: DataSet, args: argparse.Namespace, workdir: Path) -> None:
    app = make_app(data.url, workdir)
    try:
        reads = mixed_reads(app, data.probe)
    finally:
        app.extensions["valuetracker.engine"].dispose()
    item = f"mixed pages, {args.load_clients} readers + 1 writer"
    targets = (("read p95", f"<= {MIXED_P95_MS:.0f} ms"), ("errors", "0"),
               ("stale reads", "0"))
    value_page = f"/accounts/{data.probe.account_slug}/value"
    if value_page not in reads.values():
        for metric, target in targets:
            report.missing("load", item, data.scale, metric, target,
                           "n/a (no account value page to check)")
        return
    started = time.perf_counter()
    try:
        r = load_mod.run_mixed_load(data.url, reads, data.probe.account_slug, workdir,
                                    clients=args.load_clients, seconds=args.load_seconds,
                                    writes_per_second=MIXED_WRITES_PER_SECOND)
    except (RuntimeError, OSError) as exc:
        for metric, target in targets:
            report.missing("load", item, data.scale, metric, target, str(exc)[:200])
        return
    print(f"    {r.reads} reads, {r.rps:.1f}/s, p95 {r.p95_ms:.0f} ms, {r.errors} errors, "
          f"{r.stale} stale, {r.writes} writes ({r.write_errors} failed) "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    if r.error:
        for metric, target in targets:
            report.missing("load", item, data.scale, metric, target, r.error)
        return
    per_page = ", ".join(f"{name} {ms:.0f}" for name, ms in r.per_page_p95_ms.items())
    report.add("load", item, data.scale, "requests/s", r.rps, "/s",
               note=f"{r.tool}, {r.reads} reads, {r.writes} writes "
                    f"({r.write_errors} failed); p95 ms per page: {per_page}")
    report.add("load", item, data.scale, "read p50", r.p50_ms, "ms")
    report.add("load", item, data.scale, "read p95", r.p95_ms, "ms",
               target=f"<= {MIXED_P95_MS:.0f} ms", ok=r.p95_ms <= MIXED_P95_MS)
    report.add("load", item, data.scale, "errors", r.errors + r.write_errors, "", target="0",
               ok=r.errors + r.write_errors == 0)
    report.add("load", item, data.scale, "stale reads", r.stale, "", target="0",
               ok=r.stale == 0)
    report.add("load", item, data.scale, "writes", r.writes, "",
               target=f">= {int(args.load_seconds * MIXED_WRITES_PER_SECOND * 0.5)}",
               ok=r.writes >= int(args.load_seconds * MIXED_WRITES_PER_SECOND * 0.5),
               note="" if r.writes else "no write went through: stale reads not tested")
