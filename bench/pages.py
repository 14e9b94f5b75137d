"""Server time and SQL queries per request, in process, with Flask's test client.

Each page is requested 3 times to warm up, then 30 times; we keep p50/p95 of the
wall time around `client.get` and the number of statements the app's engine sent
(SQLAlchemy `before_cursor_execute`). URLs come from `url_for` on the endpoint the
navigation uses; a page whose endpoint does not exist yet is reported, not crashed on.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.routing import IntegerConverter

from .probe import Probe
from .report import percentile

WARMUP = 3


@dataclass
class PageSpec:
    """A page to measure: candidate endpoints (first found wins) and query arguments."""

    name: str
    endpoints: tuple[str, ...]
    query: Callable[[Probe], dict[str, Any]] = lambda probe: {}
    # Measure the first view after a data change: bump the data version before each
    # request, so figures the app caches (valuetracker.cache) are recomputed every time.
    after_change: bool = False
    # Signed in as the busiest account manager instead of the admin.
    as_manager: bool = False
    # A JSON API row: the admin's bearer token instead of the session, and its own target.
    api: bool = False
    p95_ms: float | None = None
    # The change made before each request of an after-change row (default: `touch`).
    bump: Callable[[_Target], None] | None = None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("accounts list, page 1", ("accounts.index",)),
    PageSpec("accounts list, deep page + filter", ("accounts.index",),
             lambda p: {"segment": p.deep_segment, "page": p.deep_page}),
    PageSpec("account page", ("accounts.detail", "accounts.show", "accounts.view",
                              "accounts.account")),
    PageSpec("account value page", ("value.account", "value.account_value", "value.overview",
                                    "value.index", "value.account_page", "value.show")),
    PageSpec("portfolio page", ("portfolio.index",)),
    PageSpec("win/loss analytics", ("winloss.analytics",)),
    PageSpec("interview queue", ("winloss.queue",)),
    PageSpec("coverage page", ("summaries.coverage",), lambda p: {"quarter": p.quarter}),
    PageSpec("My work, account manager", ("work.my_work",), as_manager=True),
    PageSpec("My work, everyone's (admin)", ("work.my_work",)),
    PageSpec("portfolio page, first view after a change", ("portfolio.index",),
             after_change=True),
    PageSpec("win/loss analytics, first view after a change", ("winloss.analytics",),
             after_change=True, bump=lambda t: t.close_deal()),
    PageSpec("coverage figure, first view after a change", ("summaries.coverage",),
             lambda p: {"quarter": p.quarter}, after_change=True),
    PageSpec("account page, first view after a change", ("accounts.show",),
             after_change=True),
    PageSpec("API list of accounts", ("api.list_accounts",), api=True, p95_ms=50.0),
    PageSpec("API list of value entries", ("api.list_value_entries",), api=True,
             p95_ms=50.0),
    # Search for a person by name (every kind, grouped, ranked, highlighted).
    PageSpec("search, a person's name", ("search.index",),
             lambda p: {"q": p.stakeholder_name}, p95_ms=50.0),
    PageSpec("deals list, won, by amount", ("winloss.deals",),
             lambda p: {"outcome": "won", "sort": "-amount"}, p95_ms=150.0),
)


def select_pages(words: str) -> tuple[PageSpec, ...]:
    """The pages whose names contain one of the comma-separated `words` (all if none)."""
    wanted = [w.strip().lower() for w in words.split(",") if w.strip()]
    return tuple(p for p in PAGES if not wanted or any(w in p.name.lower() for w in wanted))


AFTER_CHANGE_REQUESTS = 10  # each recomputes the figures: fewer requests
# The one page measured on XL (issue 18): the growth of the portfolio's recompute.
XL_PAGES: tuple[PageSpec, ...] = tuple(
    p for p in PAGES if p.name == "portfolio page, first view after a change")


@dataclass
class PageResult:
    name: str
    url: str | None
    times_ms: list[float] = field(default_factory=list)
    # CPU time of this process per request (app + SQLite): steady even when the
    # machine is busy, so it shows growth that wall time hides in noise.
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    error: str | None = None
    # The slowest statements of one extra request: (milliseconds, SQL), for diagnosis.
    slowest: list[tuple[float, str]] = field(default_factory=list)
    # First views after a change: the milliseconds of the write before each request.
    write_ms: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.url is not None and self.error is None and set(self.statuses) == {200}


class QueryCounter:
    """Counts statements sent through an engine; with `keep`, also their SQL and time."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.statements: list[tuple[float, str]] = []
        self.keep = False
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        if self.keep:
            ms = (time.perf_counter() - self._started) * 1000
            self.statements.append((ms, f"{statement} -- {parameters!r}"[:2000]))

    def reset(self, keep: bool = False) -> None:
        self.count = 0
        self.statements = []
        self.keep = keep


class _LastError(logging.Handler):
    """Keeps the last error the app logged (its 500 handler logs the exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = f"{type(exc).__name__}: {exc}"
        self.last = text[:300]


def resolve_url(app: Flask, spec: PageSpec, probe: Probe) -> str | None:
    """The URL of the first candidate endpoint that exists, its path arguments filled
    from the probe (ids for int converters, slugs or quarters otherwise)."""
    for endpoint in spec.endpoints:
        if endpoint not in app.view_functions:
            continue
        rules = [r for r in app.url_map.iter_rules(endpoint) if "GET" in (r.methods or ())]
        if not rules:
            continue
        rule = min(rules, key=lambda r: len(r.arguments))
        values: dict[str, Any] = {}
        for arg in rule.arguments:
            converter = rule._converters.get(arg)  # noqa: SLF001 - werkzeug has no public API
            if "quarter" in arg:
                values[arg] = probe.quarter
            elif isinstance(converter, IntegerConverter):
                values[arg] = probe.account_id
            else:
                values[arg] = probe.account_slug
        with app.test_request_context():
            return url_for(endpoint, **values, **spec.query(probe))
    return None


class _Target:
    """One data set's app, signed-in client, query counter and error catcher."""

    def __init__(self, scale: str, app: Flask, probe: Probe) -> None:
        self.scale, self.app, self.probe = scale, app, probe
        self.counter = QueryCounter(app.extensions["valuetracker.engine"])
        self.errors = _LastError()
        app.logger.addHandler(self.errors)
        app.logger.propagate = False  # the handler keeps the message; no traceback spam
        self.client = app.test_client()
        with self.client.session_transaction() as sess:
            sess["_user_id"] = probe.admin_session_id
            sess["_fresh"] = True
        self.manager_client = app.test_client()
        with self.manager_client.session_transaction() as sess:
            sess["_user_id"] = probe.manager_session_id or probe.admin_session_id
            sess["_fresh"] = True
        self.as_manager = False  # which client `get` uses (the spec being measured)
        self.written: int | None = None  # the value entry `touch` logged, until it deletes it

    def get(self, url: str, api: bool = False) -> tuple[int, float, int, float]:
        """(status, milliseconds, statements, CPU milliseconds) of one GET (`api`: with
        the admin's API token)."""
        headers = {"Authorization": f"Bearer {self.probe.api_token}"} if api else {}
        self.errors.last = None
        self.counter.reset()
        cpu = time.process_time()
        started = time.perf_counter()
        response = (self.manager_client if self.as_manager else self.client).get(
            url, headers=headers)
        _ = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu) * 1000
        response.close()
        return response.status_code, elapsed, self.counter.count, cpu_ms

    def touch(self) -> float:
        """A real committed write to the probe's account, outside the measured request:
        a value entry logged through the value area's write function (as the form does),
        deleted again by the next write, so the data set stays as generated. The
        rollups' incremental upkeep is thus paid as in use. Returns its milliseconds."""
        from sqlmodel import Session

        from valuetracker import value
        from valuetracker.models import Account, ValueEntry

        started = time.perf_counter()
        with self.app.app_context(), \
                Session(self.app.extensions["valuetracker.engine"]) as session:
            entry = session.get(ValueEntry, self.written) if self.written else None
            if entry is not None:
                value.delete_entry(session, entry)
                self.written = None
            else:
                account = session.get(Account, self.probe.account_id)
                assert account is not None
                self.written = value.create_entry(session, account, {
                    "title": "Bench write", "driver": "productivity",
                    "amount": Decimal("125.00"), "unit": "currency",
                    "delivered_on": date.today(), "evidence_status": "claimed"}).id
            session.commit()
        return (time.perf_counter() - started) * 1000

    def close_deal(self) -> None:
        """A real committed write to one closed deal (its outcome, won <-> lost, through
        the debrief's write function), as a rep's debrief would make."""
        from sqlmodel import Session, select

        from valuetracker.models import Deal, User
        from valuetracker.winloss.deals import debrief_deal

        with self.app.app_context(), \
                Session(self.app.extensions["valuetracker.engine"]) as session:
            deal = session.exec(select(Deal).where(Deal.outcome.in_(("won", "lost")))
                                .order_by(Deal.id).limit(1)).one()
            user = session.get(User, self.probe.admin_id)
            debrief_deal(session, deal, data={
                "outcome": "lost" if deal.outcome == "won" else "won",
                "closed_on": deal.closed_on}, expected_version=deal.version, user=user)
            session.commit()

    def close(self) -> None:
        if self.written:
            self.touch()  # deletes the last entry written
        self.app.logger.removeHandler(self.errors)


def measure_pages(targets: list[tuple[str, Flask, Probe]], *, requests: int,
                  pages: tuple[PageSpec, ...] = PAGES,
                  log: Callable[[str], None] = print) -> dict[str, list[PageResult]]:
    """Every page on every data set. Requests alternate between the data sets, so a
    burst of load on this shared machine hits S and L alike and the L/S ratio holds."""
    runs = [_Target(scale, app, probe) for scale, app, probe in targets]
    results: dict[str, list[PageResult]] = {t.scale: [] for t in runs}
    try:
        for spec in pages:
            # What is alive now (every data set's app, this harness, what generating left)
            # is moved out of the collector's reach: a full collection scans every object
            # of this one process, 30-130 ms here, and landed in one request of 20 (a
            # 160 ms p95 beside a 13 ms p50). The requests' own garbage is still collected.
            gc.collect()
            gc.freeze()
            live: list[tuple[_Target, PageResult]] = []
            for t in runs:
                t.as_manager = spec.as_manager
                url = resolve_url(t.app, spec, t.probe)
                result = PageResult(spec.name, url)
                results[t.scale].append(result)
                if url is None:
                    result.error = "n/a (endpoint missing)"
                    continue
                for _ in range(WARMUP):
                    status, _ms, _q, _cpu = t.get(url, spec.api)
                    if status != 200:
                        result.statuses.append(status)
                        result.error = f"HTTP {status}" + (
                            f" ({t.errors.last})" if t.errors.last else "")
                        break
                else:
                    live.append((t, result))
            for _ in range(min(requests, AFTER_CHANGE_REQUESTS) if spec.after_change
                           else requests):
                for t, result in live:
                    if spec.after_change:
                        if spec.bump is not None:
                            spec.bump(t)
                        else:
                            result.write_ms.append(t.touch())
                    status, ms, queries, cpu_ms = t.get(result.url or "", spec.api)
                    result.times_ms.append(ms)
                    result.cpu_ms.append(cpu_ms)
                    result.queries.append(queries)
                    result.statuses.append(status)
            for t, result in live:
                t.counter.reset(keep=True)
                (t.manager_client if t.as_manager else t.client).get(
                    result.url or "", headers={"Authorization": "Bearer " + t.probe.api_token}
                    if spec.api else {}).close()
                result.slowest = sorted(t.counter.statements, reverse=True)[:3]
                t.counter.reset()
            for t in runs:
                r = results[t.scale][-1]
                shown = (f"p50 {percentile(r.times_ms, 50):.1f} ms, "
                         f"p95 {percentile(r.times_ms, 95):.1f} ms, "
                         f"CPU p50 {percentile(r.cpu_ms, 50):.1f} ms, {max(r.queries)} queries"
                         + (f", write before each p50 {percentile(r.write_ms, 50):.1f} ms"
                            if r.write_ms else "")
                         if r.times_ms else r.error)
                log(f"    {spec.name} [{t.scale}]: {shown}  {r.url or ''}")
    finally:
        gc.unfreeze()
        for t in runs:
            t.close()
    return results


def explain_queries(app: Flask, probe: Probe, url: str, *, api: bool = False
                    ) -> list[tuple[float, str]]:
    """The statements one request to `url` sends (for diagnosing a missed target;
    `api`: with the admin's API token, as the API rows are timed)."""
    engine: sa.Engine = app.extensions["valuetracker.engine"]
    counter = QueryCounter(engine)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = probe.admin_session_id
        sess["_fresh"] = True
    counter.reset(keep=True)
    client.get(url, headers=api_headers(probe, api))
    statements = counter.statements
    counter.reset()  # the counter stays listening: later statements are not this request's
    return statements


def api_headers(probe: Probe, api: bool) -> dict[str, str]:
    """The bearer header of an API row (none for a page, which uses the session)."""
    return {"Authorization": f"Bearer {probe.api_token}"} if api else {}
