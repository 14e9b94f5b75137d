"""gunicorn with 2 workers serving the account page to concurrent clients on loopback.

The load generator is wrk when installed (`apt-get install wrk`; a Lua `done` hook
prints p95 and the error counts), else a small thread pool of `http.client`
connections. Both are bounded by time. The session cookie comes from a real login
through the login form.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from .generate import ADMIN_EMAIL, BENCH_PASSWORD
from .procs import VENV_BIN, app_env, stop
from .report import percentile

ROOT = Path(__file__).resolve().parent.parent
WARMUP_SECONDS = 3

WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p95_us\":%d," ..
    "\"max_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
"""


@dataclass
class LoadResult:
    tool: str
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    error: str | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def login_cookie(base: str, email: str = ADMIN_EMAIL, password: str = BENCH_PASSWORD) -> str:
    """Log in through the form (CSRF token and all); returns the `session` cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login", timeout=10) as resp:
        page = resp.read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    form = {"email": email, "password": password}
    if match:
        form["csrf_token"] = match.group(1)
    data = urllib.parse.urlencode(form).encode()
    with opener.open(f"{base}/login", data=data, timeout=30) as resp:
        final_url = resp.geturl()
    if "/login" in urllib.parse.urlsplit(final_url).path:
        raise RuntimeError("login through the form failed")
    for cookie in jar:
        if cookie.name == "session":
            return cookie.value
    raise RuntimeError("no session cookie after login")


def _check(base: str, path: str, cookie: str) -> None:
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"GET {path} answered {resp.status} before the load test")


def _run_wrk(url: str, cookie: str, clients: int, seconds: float) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{int(seconds)}s",
             "--timeout", "10s", "-H", f"Cookie: session={cookie}", "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        return LoadResult("wrk", 0, 0, 0, 0, 0, f"wrk failed: {out.stderr.strip()[:200]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    seconds_run = data["duration_us"] / 1e6
    return LoadResult("wrk", data["requests"], data["requests"] / seconds_run,
                      data["p50_us"] / 1000, data["p95_us"] / 1000, errors)


def _run_threads(url: str, cookie: str, clients: int, seconds: float,
                 max_requests: int = 100_000) -> LoadResult:
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(parts.netloc, timeout=10)
        while time.perf_counter() < deadline and len(times) < max_requests:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            with lock:
                times.append((time.perf_counter() - started) * 1000)
                errors[0] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return LoadResult("python threads", len(times), len(times) / elapsed,
                      percentile(times, 50), percentile(times, 95), errors[0])


def run_load(database_url: str, path: str, workdir: Path, *, clients: int = 8,
             seconds: float = 15, workers: int = 2) -> LoadResult:
    """Start gunicorn on a free loopback port, log in, load `path`, stop gunicorn."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    env = app_env(database_url, workdir)
    env["VALUETRACKER_BASE_URL"] = base
    gunicorn = str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn"
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "valuetracker:create_app()"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_up(base, proc)
        cookie = login_cookie(base)
        _check(base, path, cookie)
        url = base + path
        run = _run_wrk if shutil.which("wrk") else _run_threads
        # Warm up both workers (imports, template compilation, connection pools) with
        # the same load for a few seconds, then measure: like the in-process warm-up.
        run(url, cookie, clients, WARMUP_SECONDS)
        return run(url, cookie, clients, seconds)
    finally:
        stop(proc)
        log.close()


# ---------------------------------------------------------------------------
# Reads while someone writes (issue 18): a mix of pages, one writer, stale reads counted
# ---------------------------------------------------------------------------

WRITE_AMOUNT = 1000  # each write logs this much currency value on the probe account
# The total, inside the figure's link to its entries.
_TOTAL = re.compile(r'data-figure="total"[^>]*>\s*(?:<a [^>]*>)?([^<]*)<')
_CSRF = (re.compile(r'name="csrf_token"[^>]*value="([^"]+)"'),
         re.compile(r'value="([^"]+)"[^>]*name="csrf_token"'))


def shown_total(page: str) -> int | None:
    """The account's value total as the value page shows it ("$1,234" -> 1234)."""
    match = _TOTAL.search(page)
    if match is None:
        return None
    digits = re.sub(r"[^\d-]", "", match.group(1))
    return int(digits) if digits not in ("", "-") else None


def is_stale(page: str, floor: int) -> bool:
    """A read is stale when the total it shows is below what the writes committed before
    the read began add up to (writes only add value, so the total never goes down)."""
    total = shown_total(page)
    return total is None or total < floor


@dataclass
class MixedLoadResult:
    tool: str
    reads: int
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    stale: int
    writes: int
    write_errors: int
    per_page_p95_ms: dict[str, float]
    error: str | None = None


class Writer:
    """One browser-like client that logs value through the real form (GET, CSRF, POST)
    and reads the account's value page back after each write."""

    def __init__(self, base: str, slug: str, email: str = ADMIN_EMAIL,
                 password: str = BENCH_PASSWORD) -> None:
        self.base, self.slug = base, slug
        jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        # POSTs are not followed to the log page: the read-back is the value page.
        self.poster = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                                  _NoRedirect())
        self.token: str | None = None
        page = self._get("/login")
        form = {"email": email, "password": password, "csrf_token": _csrf(page) or ""}
        with self.opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode(),
                              timeout=30) as resp:
            if "/login" in urllib.parse.urlsplit(resp.geturl()).path:
                raise RuntimeError("the writer's login through the form failed")
        self.value_path = f"/accounts/{slug}/value"

    def _get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as resp:
            return resp.read().decode()

    def read_total(self) -> tuple[str, float]:
        started = time.perf_counter()
        page = self._get(self.value_path)
        return page, (time.perf_counter() - started) * 1000

    def write(self, n: int) -> bool:
        """Log one entry through the form (its CSRF token read from the rendered form once
        per session, as a browser tab keeps it); True when it was saved."""
        if self.token is None:
            self.token = _csrf(self._get(f"{self.value_path}/entries/new")) or ""
        fields = {
            "csrf_token": self.token, "title": f"Bench write {n}",
            "description": "", "driver": "revenue_growth", "amount": str(WRITE_AMOUNT),
            "unit": "currency", "delivered_on": time.strftime("%Y-%m-%d"),
            "evidence_status": "claimed", "source": "", "version": "",
        }
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.poster.open(f"{self.base}{self.value_path}/entries/new", data=data,
                                  timeout=30) as resp:
                resp.read()  # 200: the form came back (not saved)
                self.token = None
                return False
        except urllib.error.HTTPError as exc:
            exc.read()
            saved = exc.code in (302, 303) and (exc.headers.get("Location") or "").endswith(
                "/value/log")
            if not saved:
                self.token = None
            return saved
        except OSError:
            self.token = None
            return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def _csrf(page: str) -> str | None:
    for pattern in _CSRF:
        match = pattern.search(page)
        if match:
            return match.group(1)
    return None


def run_mixed(base: str, reads: dict[str, str], cookie: str, writer: Writer, *,
              clients: int, seconds: float, writes_per_second: float = 2.0
              ) -> MixedLoadResult:
    """`clients` readers cycle through `reads` (name -> path) while `writer` writes
    `writes_per_second`; every read of the writer's value page is checked for staleness
    against the writes committed (POST answered) before that read began."""
    netloc = urllib.parse.urlsplit(base).netloc
    names = list(reads)
    lock = threading.Lock()
    times: dict[str, list[float]] = {name: [] for name in names}
    errors, stale = [0], [0]
    page0, _ms = writer.read_total()
    base_total = shown_total(page0)
    if base_total is None:
        raise RuntimeError("the value page shows no total to check reads against")
    floor = [base_total]  # the total every read that starts now must show at least
    writes, write_errors = [0], [0]
    deadline = time.perf_counter() + seconds

    def reader(offset: int) -> None:
        conn = http.client.HTTPConnection(netloc, timeout=30)
        i = offset
        while time.perf_counter() < deadline:
            name = names[i % len(names)]
            i += 1
            path = reads[name]
            with lock:
                must_show = floor[0]
            started = time.perf_counter()
            ok, body = False, ""
            try:
                conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace")
                ok = resp.status == 200
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
            ms = (time.perf_counter() - started) * 1000
            with lock:
                times[name].append(ms)
                errors[0] += not ok
                if ok and path == writer.value_path and is_stale(body, must_show):
                    stale[0] += 1

    def write_loop() -> None:
        n = 0
        period = 1 / writes_per_second
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            n += 1
            saved = writer.write(n)
            with lock:
                if saved:
                    writes[0] += 1
                    floor[0] += WRITE_AMOUNT
                else:
                    write_errors[0] += 1
                must_show = floor[0]
            page, ms = writer.read_total()  # read your own write
            with lock:
                times.setdefault("value page (writer's read-back)", []).append(ms)
                if is_stale(page, must_show):
                    stale[0] += 1
            next_at += period
            time.sleep(max(0.0, min(next_at, deadline) - time.perf_counter()))

    started = time.perf_counter()
    threads = [threading.Thread(target=reader, args=(k,)) for k in range(clients)]
    if writes_per_second > 0:
        threads.append(threading.Thread(target=write_loop))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    every = [ms for values in times.values() for ms in values]
    if not every:
        return MixedLoadResult("python threads", 0, 0, 0, 0, 0, 0, 0, 0, {}, "no reads")
    return MixedLoadResult(
        "python threads", len(every), len(every) / elapsed, percentile(every, 50),
        percentile(every, 95), errors[0], stale[0], writes[0], write_errors[0],
        {name: percentile(v, 95) for name, v in times.items() if v})


def start_gunicorn(database_url: str, workdir: Path, *, workers: int = 2
                   ) -> tuple[str, subprocess.Popen[bytes], Any]:
    """gunicorn on a free loopback port, answering; (base URL, process, its log file)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    env = app_env(database_url, workdir)
    env["VALUETRACKER_BASE_URL"] = base
    gunicorn = str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn"
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - closed by the caller
    proc = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "valuetracker:create_app()"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_up(base, proc)
    except BaseException:
        stop(proc)
        log.close()
        raise
    return base, proc, log


def run_mixed_load(database_url: str, reads: dict[str, str], slug: str, workdir: Path, *,
                   clients: int = 8, seconds: float = 15, workers: int = 2,
                   writes_per_second: float = 2.0) -> MixedLoadResult:
    """gunicorn -w `workers`, readers on `reads` and one writer on account `slug`."""
    base, proc, log = start_gunicorn(database_url, workdir, workers=workers)
    try:
        cookie = login_cookie(base)
        for path in reads.values():
            _check(base, path, cookie)
        writer = Writer(base, slug)
        # Warm-up without writes (imports, templates, pools in both workers).
        run_mixed(base, reads, cookie, writer, clients=clients, seconds=WARMUP_SECONDS,
                  writes_per_second=0)
        return run_mixed(base, reads, cookie, writer, clients=clients, seconds=seconds,
                         writes_per_second=writes_per_second)
    finally:
        stop(proc)
        log.close()
