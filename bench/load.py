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
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

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
