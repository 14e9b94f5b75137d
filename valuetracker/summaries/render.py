"""HTML -> PDF with WeasyPrint: a locked-down URL fetcher, a time limit, metadata.

Security: the PDF layouts reference bundled assets through the internal `vt-asset:`
scheme (`vt-asset:static/fonts/…`, `vt-asset:branding/logo.png`). `AssetFetcher`
serves exactly those files (resolved, and checked to stay inside `valuetracker/static/`
or `instance/branding/`) and `data:` URIs; every other URL (file:, http(s):, ftp:,
relative paths, anything else) raises, so nothing a user types can make the renderer
read a file or touch the network. No base URL is given, so relative URLs are never
resolved. User text is autoescaped by Jinja, so it can never become a `<link
rel=attachment>`, `<img>` or CSS; and we pass `attachments=[]`.

Time limit: rendering runs under `PDF_RENDER_TIMEOUT` seconds.
- In a process's main thread (job workers, the CLI, tests) a SIGALRM interval timer
  interrupts WeasyPrint (pure Python, so the signal is handled promptly).
- Elsewhere (a web request thread, where signals cannot be used) the HTML is rendered
  in a small pool of spawned worker processes and the result awaited with a timeout;
  on timeout the pool is terminated (killing the render) and recreated on next use.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.pool
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import DataHandler, Request

from ..config import STATIC_DIR

log = logging.getLogger(__name__)

SCHEME = "vt-asset:"
MIME_TYPES = {
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}

T = TypeVar("T")


class RenderTimeout(Exception):
    """Rendering took longer than the configured limit."""


class RefusedURL(ValueError):
    """The PDF tried to load something other than a bundled asset or a data: URI."""


def asset_path(url: str, *, static_dir: Path, branding_dir: Path | None) -> Path:
    """The file behind a `vt-asset:` URL, or RefusedURL. Never leaves the two folders."""
    if not url.startswith(SCHEME):
        raise RefusedURL(f"not a bundled asset: {url[:200]}")
    rest = url[len(SCHEME):].split("?", 1)[0].split("#", 1)[0].lstrip("/")
    folder, _, name = rest.partition("/")
    roots = {"static": static_dir, "branding": branding_dir}
    root = roots.get(folder)
    if root is None or not name:
        raise RefusedURL(f"unknown asset folder: {url[:200]}")
    root = root.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RefusedURL(f"no such asset: {url[:200]}")
    if path.suffix.lower() not in MIME_TYPES:
        raise RefusedURL(f"asset type not served: {url[:200]}")
    return path


def _make_fetcher_class() -> type:
    # Imported lazily: WeasyPrint is heavy and not every process renders.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        """Serves bundled assets and data: URIs; refuses everything else (and remembers it)."""

        def __init__(self, *, static_dir: Path = STATIC_DIR,
                     branding_dir: Path | None = None) -> None:
            super().__init__(allow_redirects=False)
            self.static_dir = static_dir
            self.branding_dir = branding_dir
            self.served: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                if url.startswith("data:"):
                    response = DataHandler().data_open(Request(url))
                    body = response.read()
                    content_type = response.headers.get("Content-Type", "text/plain")
                    self.served.append("data:")
                    return URLFetcherResponse(url, body, {"Content-Type": content_type})
                path = asset_path(url, static_dir=self.static_dir,
                                  branding_dir=self.branding_dir)
            except Exception:
                self.refused.append(url)
                raise
            self.served.append(url)
            return URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": MIME_TYPES[path.suffix.lower()]}
            )

    return AssetFetcher


_fetcher_class: type | None = None


def asset_fetcher(*, branding_dir: Path | None = None, static_dir: Path = STATIC_DIR) -> Any:
    """A new WeasyPrint URL fetcher limited to bundled assets and data: URIs."""
    global _fetcher_class
    if _fetcher_class is None:
        _fetcher_class = _make_fetcher_class()
    return _fetcher_class(static_dir=static_dir, branding_dir=branding_dir)


_font_config: tuple[int, Any] | None = None
# Decoded @font-face fonts, one folder per configuration, named after its process.
FONTS_ROOT = Path(tempfile.gettempdir()) / f"valuetracker-fonts-{os.getuid()}"


def font_config() -> Any:
    """This process's WeasyPrint font configuration, made on first use.

    Kept for the life of the process: the bundled @font-face fonts are decoded and
    registered once, and Pango's font caches stay warm from one summary to the next
    (a new configuration per PDF cost about 20 ms each, before any layout). Keyed by
    process id, so a forked worker makes its own instead of sharing its parent's.
    Only bundled fonts reach it: the layouts' @font-face rules are fixed, and user
    text never becomes CSS.
    """
    global _font_config
    if _font_config is None or _font_config[0] != os.getpid():
        from weasyprint.text.fonts import FontConfiguration

        if _font_config is not None:
            # The parent's: its font files are the parent's to delete, not ours.
            _font_config[1]._folder = None
        config = FontConfiguration()
        config._folder = _fonts_folder()  # else WeasyPrint makes one on first use
        _font_config = (os.getpid(), config)
    return _font_config[1]


def forget_font_config() -> None:
    """Drop this process's font configuration (a render was cut off mid-way, perhaps
    while registering a font); the next render makes a new one."""
    global _font_config
    if _font_config is not None and _font_config[0] == os.getpid():
        folder, _font_config[1]._folder = _font_config[1]._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    _font_config = None


def _fonts_folder() -> Path | None:
    """A new folder for one configuration's fonts, under FONTS_ROOT (None: let WeasyPrint
    make its own). Folders left by processes that ended without cleaning up (a killed
    worker never runs its finalisers) are removed on the way."""
    try:
        FONTS_ROOT.mkdir(mode=0o700, exist_ok=True)
        info = FONTS_ROOT.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return None  # not ours: never write fonts into someone else's folder
        for folder in FONTS_ROOT.iterdir():
            pid = folder.name.partition("-")[0]
            if pid.isdigit() and not _running(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=FONTS_ROOT))
    except OSError:
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _render(html: str, branding_dir: str | None, fetcher: Any = None) -> bytes:
    from weasyprint import HTML

    fetcher = fetcher or asset_fetcher(branding_dir=Path(branding_dir) if branding_dir else None)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(attachments=[], pdf_variant=None, font_config=font_config())


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` inside can swallow it."""


def _with_alarm(seconds: float, func: Callable[[], T]) -> T:
    def on_alarm(_signum: int, _frame: Any) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # Re-fires every 0.1 s until cleared, in case one delivery lands somewhere harmless.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        try:
            return func()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        raise RenderTimeout(f"rendering took longer than {seconds:g} s") from None
    finally:
        signal.signal(signal.SIGALRM, previous)


_pool: multiprocessing.pool.Pool | None = None
_pool_lock = threading.Lock()


def _get_pool() -> multiprocessing.pool.Pool:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: never fork a multi-threaded web process; workers stay warm.
            _pool = multiprocessing.get_context("spawn").Pool(processes=2, maxtasksperchild=100)
        return _pool


def shutdown_pool() -> None:
    """Stop the render pool (at exit, after a timeout, and in tests)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.terminate()
        pool.join()


atexit.register(shutdown_pool)


def html_to_pdf(html: str, *, timeout: float, branding_dir: Path | None = None,
                fetcher: Any = None) -> bytes:
    """Render `html` to PDF bytes within `timeout` seconds (RenderTimeout otherwise).

    `fetcher` (main thread only) lets tests inspect what the renderer asked for.
    """
    branding = str(branding_dir) if branding_dir else None
    if threading.current_thread() is threading.main_thread():
        try:
            return _with_alarm(timeout, lambda: _render(html, branding, fetcher))
        except RenderTimeout:
            forget_font_config()
            raise
    result = _get_pool().apply_async(_render, (html, branding))
    try:
        return result.get(timeout)
    except multiprocessing.TimeoutError:
        shutdown_pool()
        raise RenderTimeout(f"rendering took longer than {timeout:g} s") from None


def warm_up() -> None:
    """Import WeasyPrint and let it load its fonts and text stack once, in this process.

    The job worker calls it before forking its worker processes, so they inherit a
    renderer that is ready instead of each paying the start-up on its first summary.
    """
    _render("<p style=\"font-family: sans-serif\">warm-up</p>", None)
