"""Two clicks on "Import" at once: two real concurrent `POST /import/<token>/run` against
the live server (threads, each with its own cookies, CSRF on). The upload is claimed
atomically: exactly one request imports, the other is told the file is being (or was
already) imported, and neither is a 500.
"""

from __future__ import annotations

import http.cookiejar
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict

from valuetracker.models import Account, AuditEvent, Stakeholder

from .factories import PASSWORD
from .factories.csv_files import csv_bytes
from .rendered import rendered_form, rendered_forms

CLAIMED = ("This file is being imported", "This file was already imported")


class Browser:
    """A cookie-keeping HTTP client for the live server (urllib, following redirects)."""

    def __init__(self, base_url: str, jar: http.cookiejar.CookieJar | None = None) -> None:
        self.base_url = base_url
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def copy(self) -> Browser:
        """A second browser tab-alike with its own jar holding the same session cookie."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(cookie)
        return Browser(self.base_url, jar)

    def open(self, path: str, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode()

    def post(self, path: str, data: MultiDict[str, str]) -> tuple[int, str, str]:
        return self.open(path, urllib.parse.urlencode(list(data.items(multi=True))).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, data: MultiDict[str, str], file_field: str,
               content: bytes) -> tuple[int, str, str]:
        boundary = secrets.token_hex(12)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'
                 .encode() for n, v in data.items(multi=True)]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                     f'filename="people.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                     + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.open(path, body,
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def sign_in(base_url: str, email: str) -> Browser:
    browser = Browser(base_url)
    _status, _url, html = browser.open("/login")
    form = rendered_form(html, having="password")
    status, url, _html = browser.post(form.action or "/login",
                                      form.data(email=email, password=PASSWORD))
    assert status == 200 and "/login" not in url
    return browser


def upload_and_preview(browser: Browser, kind: str, content: bytes) -> str:
    """Upload through the wizard's form, accept the suggested columns, reach the
    preview; return the preview page."""
    _status, _url, html = browser.open("/import/")
    form = next(f for f in rendered_forms(html) if "file" in f.names)
    status, url, html = browser.upload("/import/", form.data(kind=kind), "file", content)
    assert status == 200 and url.endswith("/map"), (status, url)
    mapping = rendered_form(html, having="date_format")
    status, url, html = browser.post(urllib.parse.urlparse(url).path, mapping.data())
    assert status == 200 and url.endswith("/preview"), (status, url, html[-2000:])
    return html


def race(browser: Browser, preview: str) -> list[tuple[int, str, str]]:
    """Press the preview's Import button in two tabs at the same moment."""
    form = next(f for f in rendered_forms(preview) if f.action.endswith("/run"))
    tabs = [browser.copy(), browser.copy()]
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def press(i: int) -> None:
        start.wait()
        results[i] = tabs[i].post(form.action, form.data())

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


@pytest.mark.parametrize(("kind", "rows"), [("stakeholders", 4000), ("accounts", 600)])
def test_two_concurrent_runs_import_once(live_server: str, cast: Any, session: Any,
                                         kind: str, rows: int) -> None:
    if kind == "stakeholders":
        content = csv_bytes(["account", "name", "email"], [
            ["Acme Corp", f"Person {i}", f"person{i}@acme.example"] for i in range(rows)])
    else:
        content = csv_bytes(["name", "tier"], [[f"Imported {i}", "key"] for i in range(rows)])
    model = Stakeholder if kind == "stakeholders" else Account
    before = session.exec(select(func.count()).select_from(model)).one()
    browser = sign_in(live_server, cast.admin.email)
    preview = upload_and_preview(browser, kind, content)

    results = race(browser, preview)

    for status, url, html in results:
        assert status == 200, (status, html[-3000:])  # never a 500
        assert url.endswith("/import/"), url  # both redirected to the import page
    pages = [html for _s, _u, html in results]
    imported = [p for p in pages if f"Imported {kind}: {rows} rows: {rows} created" in p]
    refused = [p for p in pages if any(message in p for message in CLAIMED)]
    assert len(imported) == 1 and len(refused) == 1
    session.expire_all()
    assert session.exec(select(func.count()).select_from(model)).one() == before + rows
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()) == 1

    # A third click, after both finished: told so again, nothing imported.
    form = next(f for f in rendered_forms(preview) if f.action.endswith("/run"))
    status, url, html = browser.post(form.action, form.data())
    assert status == 200 and url.endswith("/import/") and CLAIMED[1] in html
    assert session.exec(select(func.count()).select_from(model)).one() == before + rows
