"""The webhook burst: 1 000 events delivered to a receiver on loopback by
`valuetracker worker --workers 2`, within 60 s (issue 17).

A fresh SQLite database of its own in the work folder (the run starts from nothing and
leaves the data sets alone), the worker's queue on Redis when given, one endpoint
subscribed to `deal.closed`, and a receiver (a threaded werkzeug server) that checks
every signature. The events are emitted through `events.emit` in 20 transactions of 50,
as an import or a busy hour of the web app would: each commit wakes the worker. The
clock runs from the first event until every delivery is recorded as delivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from valuetracker import create_app, events, webhooks
from valuetracker.db import make_engine, session_scope, upgrade_database
from valuetracker.models import WebhookDelivery
from valuetracker.workers import any_worker_alive

from .procs import BENCH_SECRET, app_env, cli_path, stop

EVENTS = 1000
PER_COMMIT = 50
TARGET_SECONDS = 60.0


@dataclass
class BurstResult:
    events: int = EVENTS
    delivered: int = 0
    seconds: float | None = None
    bad_signatures: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # event -> delivered
    emit_seconds: float | None = None  # writing the events (the outbox rows)
    error: str | None = None


class _Receiver:
    def __init__(self, secret: str) -> None:
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.count = 0
        self.bad = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        signed = (f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}."
                  .encode() + body)
        expected = "v1," + base64.b64encode(
            hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        ok = hmac.compare_digest(expected, request.headers["webhook-signature"])
        with self.lock:
            self.count += 1
            self.bad += 0 if ok else 1
        return Response("ok")(environ, start_response)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_burst(workdir: Path, *, workers: int = 2, redis_url: str | None = None,
              timeout: float = 180) -> BurstResult:
    result = BurstResult()
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'webhooks.sqlite'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": BENCH_SECRET, "ENV": "development",
                      "REPORTS_DIR": str(workdir / "reports"),
                      "OUTBOX_DIR": str(workdir / "outbox"),
                      "HUEY_SQLITE_PATH": str(workdir / "jobs.sqlite"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": redis_url,
                      "MAIL_SERVER": None, "WEBHOOKS_ALLOW_PRIVATE": True})
    engine = app.extensions["valuetracker.engine"]
    port = _free_port()
    with app.app_context(), session_scope(engine) as session:
        endpoint = webhooks.add_endpoint(session, url=f"http://127.0.0.1:{port}/hook",
                                         event_names=["deal.closed"], allow_private=True)
        session.commit()
        secret = endpoint.secret
    receiver = _Receiver(secret)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = make_server("127.0.0.1", port, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = app_env(url, workdir, redis_url=redis_url)
    env["VALUETRACKER_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen([cli_path(), "worker", "--workers", str(workers)], env=env,
                              cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while worker.poll() is None and time.monotonic() < deadline:
            with Session(engine) as s:
                if any_worker_alive(s):
                    break
            time.sleep(0.2)
        time.sleep(1)  # the consumer forks its processes
        if worker.poll() is not None:
            result.error = "worker exited: " + (workdir / "worker.log").read_text()[-300:]
            return result
        started = time.perf_counter()
        with app.app_context(), session_scope(engine) as session:
            for n in range(EVENTS):
                events.emit(session, "deal.closed", account_id=None, entity="deal",
                            entity_id=n + 1, data={"name": f"Deal {n + 1}", "outcome": "won",
                                                   "amount": "1000.00", "via": "bench"})
                if (n + 1) % PER_COMMIT == 0:
                    session.commit()
        result.emit_seconds = time.perf_counter() - started
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(engine) as s:
                done = s.exec(select(func.count()).select_from(WebhookDelivery).where(
                    WebhookDelivery.status == "delivered")).one()
            if done >= EVENTS:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        result.delivered = done
        result.seconds = elapsed if done >= EVENTS else None
        if done < EVENTS:
            result.error = f"only {done} of {EVENTS} delivered in {timeout:.0f} s"
        result.bad_signatures = receiver.bad
        with Session(engine) as s:
            rows = s.exec(select(WebhookDelivery.created_at, WebhookDelivery.last_attempt_at)
                          .where(WebhookDelivery.status == "delivered")).all()
        result.latencies_ms = [(b - a).total_seconds() * 1000 for a, b in rows if a and b]
    finally:
        stop(worker, timeout=20)
        log.close()
        server.shutdown()
        engine.dispose()
        make_engine(url).dispose()
    return result


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
