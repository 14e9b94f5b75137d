"""Hostile input on every form and query string: never a 500, and a refused submission
writes nothing.

The test walks `app.url_map` (as test_permissions_all_routes does, in the same world) as
an account manager and as an admin. Each GET route is opened with fuzzed query strings;
each POST form is submitted as the page renders it (its fields parsed from the HTML),
with one field at a time replaced by a value of the matrix below, and as a whole: every
field missing, every field twice, every field the same hostile value.

Bounded: a fixed seed picks at most `PER_FORM` single-field cases per form, and a few
endpoints whose work is slow (PDFs, exports) or that end the session are left out. The
number of requests is printed (`pytest -s`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from valuetracker.models import metadata

# The world of the permission matrix (every route's arguments filled) and its settings.
from .route_world import (
    ROUTE_ARGS,
    World,
    all_rules,
    route_url,
)

SEED = 14
PER_FORM = 50  # single-field cases per form (of fields x values)
QUERIES_PER_ROUTE = 6
TIME_LIMIT = 150.0  # seconds in all, half per user: fuzzing stops there, on a slow machine
# with fewer routes done (the count is printed), rather than running on and on

HUGE = "x" * 100_001  # longer than any field allows
# What is sent; `refused` says where a value must be refused (nothing written).
MATRIX: dict[str, str | bytes] = {
    "huge": HUGE,
    "nul": "a\x00b",
    "bad_utf8": b"\xff\xfe\xc3(",
    "snan": "sNaN",
    "nan": "NaN",
    "infinity": "Infinity",
    "-infinity": "-Infinity",
    "1e309": "1e309",
    "24_digits": "9" * 24,
    "negative": "-1",
    "whitespace": "  \t ",
    "crlf": "Acme\r\nBcc: someone@example.com",
    "empty": "",
    "year_1": "0001-01-01",
}
MONEY_VALUES = ("snan", "nan", "infinity", "-infinity", "1e309", "24_digits", "negative")
QUERY_NAMES = ("q", "page", "status", "sort", "segment", "tier", "owner", "quarter",
               "stakeholder", "by", "user", "object", "object_id", "from", "to", "since",
               "until", "outcome", "competitor", "format", "kind", "account", "next")

# Endpoints not fuzzed: slow work on every accepted submission (PDF batches, exports),
# the end of the session, a person's erasure (the world's stakeholder), the file
# downloads. Their own tests cover them.
SKIP_POST = {"auth.logout", "summaries.generate", "summaries.generate_portfolio",
             "summaries.send", "summaries.send_portfolio", "exports.index",
             "stakeholders.export", "stakeholders.erase", "auth.login"}
PUBLIC_FIRST = {"public.confirm", "public.pulse", "survey.answer"}
SKIP_GET = {"static", "summaries.preview", "summaries.download", "exports.download",
            "admin.audit_csv", "stakeholders.export"}


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: list[FormField] = field(default_factory=list)

    def defaults(self) -> list[tuple[str, str | bytes]]:
        """What a browser would send for the form untouched."""
        pairs: list[tuple[str, str | bytes]] = []
        for f in self.fields:
            if f.kind in ("checkbox", "radio", "select-multiple"):
                if f.value:
                    pairs.append((f.name, f.value))
            elif f.kind not in ("file", "submit", "button", "reset", "image"):
                pairs.append((f.name, f.value))
        return pairs

    def names(self) -> list[str]:
        return sorted({f.name for f in self.fields if f.kind not in ("submit", "button")})


class FormParser(HTMLParser):
    """The forms of a page with their fields and the values they would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None or (tag not in ("input", "select", "option", "textarea")):
            return
        if tag == "input" and "name" in a:
            kind = a.get("type", "text").lower()
            checked = "checked" in a
            if kind in ("checkbox", "radio"):
                existing = next((f for f in self._form.fields if f.name == a["name"]
                                 and f.kind == kind), None)
                if existing is None:
                    existing = FormField(a["name"], kind)
                    self._form.fields.append(existing)
                existing.options.append(a.get("value", "on"))
                if checked:
                    existing.value = a.get("value", "on")
            else:
                step = a.get("step", "")
                if kind == "number" and step == "any":
                    kind = "money"
                self._form.fields.append(FormField(a["name"], kind, a.get("value", "")))
        elif tag == "select" and "name" in a:
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = FormField(a["name"], kind)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a or (self._select.kind == "select" and not self._select.value
                                   and len(self._select.options) == 1):
                self._select.value = value
        elif tag == "textarea" and "name" in a:
            self._textarea = FormField(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline right after <textarea>.
            value = self._textarea.value
            self._textarea.value = value[2:] if value.startswith("\r\n") else (
                value[1:] if value.startswith("\n") else value)
            self._textarea = None


def parse_forms(html: str) -> list[HtmlForm]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def encode(pairs: list[tuple[str, str | bytes]]) -> str:
    """application/x-www-form-urlencoded; bytes values go as they are (invalid UTF-8)."""
    return urlencode([(k, v if isinstance(v, bytes) else v.encode("utf-8"))
                      for k, v in pairs])


class Counts:
    """Row counts of every table, in one query."""

    def __init__(self, app: Flask) -> None:
        self.engine = app.extensions["valuetracker.engine"]
        tables = list(metadata.sorted_tables)
        self.names = [t.name for t in tables]
        self.query = sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery()
                                 for t in tables])

    def now(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(zip(self.names, conn.execute(self.query).one(), strict=True))


@dataclass
class Fuzzer:
    client: Any
    counts: Counts
    deadline: float  # time.monotonic() at which fuzzing stops
    requests: int = 0
    routes: int = 0  # routes fuzzed before the deadline
    failures: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)

    @property
    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def send(self, method: str, url: str, pairs: list[tuple[str, str | bytes]],
             what: str, refused: bool) -> int:
        if self.out_of_time:
            return 0
        before = self.counts.now() if refused else None
        if method == "get":
            query = encode(pairs)
            response = self.client.get(url + ("&" if "?" in url else "?") + query
                                       if query else url)
        else:
            response = self.client.post(url, data=encode(pairs),
                                        content_type="application/x-www-form-urlencoded")
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url} {what}: {response.status_code}")
        if before is not None:
            after = self.counts.now()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                self.writes.append(f"{method.upper()} {url} {what}: wrote {changed}")
        return response.status_code


def refused(f: FormField, value_name: str) -> bool:
    """Must this value in this field be refused (nothing written)?"""
    if value_name == "nul":
        return True
    if f.kind in ("checkbox", "hidden", "file"):
        return False  # a checkbox is on with any value; hidden fields are the view's
    if value_name == "huge":
        return True
    return f.kind == "money" and value_name in MONEY_VALUES


def single_field_cases(form: HtmlForm, rng: random.Random) -> Iterator[tuple[FormField, str]]:
    cases = [(f, v) for f in form.fields if f.kind not in ("submit", "button", "file")
             for v in MATRIX]
    rng.shuffle(cases)
    # Every money field meets every non-finite value, every select a blank " "; the
    # rest is sampled.
    always = [(f, v) for f, v in cases if (f.kind == "money" and v in MONEY_VALUES)
              or (f.kind.startswith("select") and v == "whitespace")]
    rest = [c for c in cases if c not in always]
    yield from always
    yield from rest[:max(0, PER_FORM - len(always))]


def fuzz_form(fuzzer: Fuzzer, form: HtmlForm, rng: random.Random) -> None:
    url = form.action
    base = form.defaults()
    for f, value_name in single_field_cases(form, rng):
        pairs = [(k, v) for k, v in base if k != f.name] + [(f.name, MATRIX[value_name])]
        fuzzer.send("post", url, pairs, f"{f.name}={value_name}", refused(f, value_name))
    names = form.names()
    fuzzer.send("post", url, [], "every field missing", False)
    fuzzer.send("post", url, base + [(k, MATRIX["crlf"]) for k in names],
                "every field twice", False)
    for value_name in ("nul", "huge", "snan", "whitespace", "bad_utf8"):
        pairs = [(k, MATRIX[value_name]) for k in names]
        fuzzer.send("post", url, pairs, f"every field {value_name}",
                    value_name == "nul" and bool(names))


def _path(url: str) -> str:
    return urlsplit(url).path


def _mapped_rules(app: Flask) -> list[Any]:
    """The rules whose URL the world can fill (a route missing from ROUTE_ARGS is
    reported by test_every_route_with_arguments_is_mapped)."""
    return [r for r in all_rules(app) if not r.arguments or r.endpoint in ROUTE_ARGS]


def fuzz_as(app: Flask, client: Any, filled: World, counts: Counts, deadline: float,
            rng: random.Random) -> Fuzzer:
    fuzzer = Fuzzer(client, counts, deadline)
    seen_forms: set[tuple[str, tuple[str, ...]]] = set()
    # The signed-link pages first: the value page's "revoke" buttons would end their link.
    rules = sorted((r for r in _mapped_rules(app) if "GET" in (r.methods or set())
                    and r.endpoint not in SKIP_GET),
                   key=lambda r: r.endpoint not in PUBLIC_FIRST)
    skipped_paths = {_path(route_url(app, r, filled)) for r in _mapped_rules(app)
                     if r.endpoint in SKIP_POST and "POST" in (r.methods or set())}
    for rule in rules:
        if fuzzer.out_of_time:
            break
        fuzzer.routes += 1
        url = route_url(app, rule, filled)
        response = client.get(url)
        fuzzer.requests += 1
        if response.status_code >= 500:
            fuzzer.failures.append(f"GET {url}: {response.status_code}")
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        forms = parse_forms(response.get_data(as_text=True))
        query_names = sorted({f.name for form in forms if form.method == "get"
                              for f in form.fields} | set(QUERY_NAMES))
        for _ in range(QUERIES_PER_ROUTE):
            names = rng.sample(query_names, 2)
            value_names = rng.sample(sorted(MATRIX), 2)
            pairs = [(n, MATRIX[v]) for n, v in zip(names, value_names, strict=True)]
            fuzzer.send("get", url, pairs, f"?{names[0]}={value_names[0]}&"
                        f"{names[1]}={value_names[1]}", "nul" in value_names)
        fuzzer.send("get", url, [("page", "sNaN"), ("page", "99999999999999999999999")],
                    "?page twice", False)
        for form in forms:
            if form.method != "post":
                continue
            form.action = form.action or url
            key = (_path(form.action), tuple(form.names()))
            if key in seen_forms or _path(form.action) in skipped_paths:
                continue
            seen_forms.add(key)
            fuzz_form(fuzzer, form, rng)
    return fuzzer


def test_no_form_or_query_string_gives_a_500_or_writes_when_refused(
        app: Flask, cast: Any, world: World, login_as: Any) -> None:  # noqa: F811
    counts = Counts(app)
    started = time.monotonic()
    rng = random.Random(SEED)
    # The account manager first: the admin's fuzzing edits am1's user (password, active).
    results = [fuzz_as(app, login_as(user), world, counts,
                       time.monotonic() + TIME_LIMIT / 2, rng)
               for user in (cast.am1, cast.admin)]
    total = sum(r.requests for r in results)
    failures = [line for r in results for line in r.failures]
    writes = [line for r in results for line in r.writes]
    print(f"\nfuzz: {total} requests over {[r.routes for r in results]} routes (am1, admin) "
          f"in {time.monotonic() - started:.1f} s, "
          f"{len(failures)} answered 500, {len(writes)} refused ones wrote")
    assert total > 500 and all(r.routes >= 10 for r in results)
    assert not failures, f"{len(failures)} requests answered 500:\n" + "\n".join(failures[:60])
    assert not writes, "refused submissions wrote rows:\n" + "\n".join(writes[:60])


@pytest.mark.parametrize("html, expected", [
    ('<form method="post" action="/x"><input name="a" value="1">'
     '<select name="s"><option value="">-</option><option value="k" selected>K</option>'
     '</select><textarea name="t">hi</textarea><input type="checkbox" name="c" value="y">'
     '<input type="number" step="any" name="m"></form>',
     [("a", "1"), ("s", "k"), ("t", "hi"), ("m", "")]),
])
def test_the_form_parser_sends_what_a_browser_sends(html: str, expected: list[Any]) -> None:
    (form,) = parse_forms(html)
    assert form.action == "/x" and form.defaults() == expected
    assert [f.kind for f in form.fields] == ["text", "select", "textarea", "checkbox", "money"]
