"""The deploy check's browser without a browser: sign in over HTTP with the login form's
own fields (parsed from the page, CSRF token included), then read pages as a user would.

    deploy_client.py BASE_URL EMAIL PASSWORD ACCOUNT_NAME [--summaries QUARTER]

Without --summaries: the accounts list must show ACCOUNT_NAME, and its page must open.
With it: the account's summaries page for QUARTER must link PDFs that download as PDFs.
Standard library only; exits non-zero with a message on the first thing that is wrong.
"""

from __future__ import annotations

import http.cookiejar
import sys
import urllib.parse
import urllib.request
from html.parser import HTMLParser


class Page(HTMLParser):
    """The forms (action, method, fields) and links of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""),
                               "method": a.get("method", "get").lower(), "fields": {}})
        elif tag in ("input", "textarea", "select") and self.forms and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "a" and "href" in a:
            self._href, self._text = a["href"], []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def fail(message: str) -> None:
    print(f"deploy client: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str]) -> None:
    base, email, password, account = argv[:4]
    quarter = argv[argv.index("--summaries") + 1] if "--summaries" in argv else None
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(path: str) -> tuple[str, bytes, str]:
        with opener.open(urllib.parse.urljoin(base, path), timeout=60) as resp:
            return resp.geturl(), resp.read(), resp.headers.get_content_type()

    def parse(body: bytes) -> Page:
        page = Page()
        page.feed(body.decode("utf-8"))
        return page

    url, body, _ = get("/login")
    forms = [f for f in parse(body).forms if "password" in f["fields"]]
    if not forms:
        fail("no login form on /login")
    form = forms[0]
    fields = dict(form["fields"], email=email, password=password)
    data = urllib.parse.urlencode(fields).encode()
    with opener.open(urllib.parse.urljoin(url, form["action"] or url), data=data,
                     timeout=60) as resp:
        landed, body = resp.geturl(), resp.read()
    if "/login" in urllib.parse.urlsplit(landed).path:
        fail(f"sign-in refused (landed on {landed})")
    print(f"signed in as {email}; landed on {urllib.parse.urlsplit(landed).path}")

    _, body, _ = get("/accounts")  # sign-in lands on My work
    links = [href for href, text in parse(body).links if text == account]
    if not links:
        fail(f"the accounts list does not show {account!r}")
    print(f"accounts list shows {account!r}")
    account_url, body, _ = get(links[0])
    if account.encode() not in body:
        fail(f"the account page {account_url} does not name the account")
    print(f"account page {urllib.parse.urlsplit(account_url).path} opens")

    if quarter:
        path = urllib.parse.urlsplit(account_url).path.rstrip("/") + f"/summaries?quarter={quarter}"
        _, body, _ = get(path)
        pdfs = [href for href, text in parse(body).links if text == "Download PDF"]
        if not pdfs:
            fail(f"no PDF to download on {path}")
        for href in pdfs:
            _, content, kind = get(href)
            if kind != "application/pdf" or not content.startswith(b"%PDF-"):
                fail(f"{href} is not a PDF ({kind})")
        print(f"{len(pdfs)} summary PDF(s) download from {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
