"""The templates' url_for (`templating.UrlBuilder`) builds exactly the string Flask's
url_for builds: for every endpoint of the app, with path values and query strings of
every awkward kind, under two script roots, and raises where Flask raises."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup
from werkzeug.routing import AnyConverter, BuildError, IntegerConverter

from valuetracker.templating import UrlBuilder, url_for

# Query-string arguments: spaces, unicode, reserved characters, lists (with None), None,
# numbers, dates, booleans, empty values, an anchor.
QUERIES: list[dict[str, Any]] = [
    {},
    {"q": "a b"},
    {"q": "Zürich – ünïcode ✓"},
    {"q": "a/b&c=d+e?f#g%h;i:j@k!l$m'n(o)p*q,r~s"},
    {"tags": ["x", "y z", None, "&"], "page": 2},
    {"n": 0, "m": None, "yes": True, "no": False, "half": 1.5, "amount": Decimal("1.50")},
    {"delivered_from": date(2026, 1, 2), "delivered_to": date(2026, 3, 31)},
    {"empty_list": [], "empty": "", "pair": ("a", "b")},
    {"k ey&=": "v", "segment": "Mid market", "unit": "currency"},
    {"markup": Markup("<b>bold</b>")},
    {"state": "skipped", "_anchor": "key-stakeholders"},
    {"_anchor": "a b#c/ü"},
    {"_anchor": None, "outcome": "won"},
]


def sample_path_values(rule: Any) -> list[dict[str, Any]]:
    """Path values for a rule: ids for `int` parts, the choices of `any` parts, slugs and
    awkward text for the rest (`path` parts: with slashes)."""
    samples: list[dict[str, Any]] = [{}, {}]
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            samples[0][name], samples[1][name] = 7, 2_000_000
        elif isinstance(converter, AnyConverter):
            samples[0][name], samples[1][name] = min(converter.items), max(converter.items)
        else:
            samples[0][name], samples[1][name] = "acme-corp", "a b/ü&=+?#%"
    return samples


def test_every_endpoint_builds_as_flask_does(app: Flask) -> None:
    builder: UrlBuilder = app.extensions["valuetracker.url_for"]
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100  # every blueprint's rules are in the map
    built = 0
    for base_url in ("http://localhost/", "http://localhost/sub/"):
        with app.test_request_context("/", base_url=base_url):
            for rule in rules:
                for path_values in sample_path_values(rule):
                    for query in QUERIES:
                        values = {**query, **path_values}
                        # Twice: the second time from the kept path.
                        for _ in range(2):
                            assert builder(rule.endpoint, **values) == \
                                app.url_for(rule.endpoint, **values), (rule, values)
                        built += 1
    assert built > 2 * len(rules) * len(QUERIES)


def test_the_kept_path_is_built_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    builder = UrlBuilder(app)
    calls: list[str] = []
    flask_url_for = app.url_for

    def counted(endpoint: str, /, **values: Any) -> str:
        calls.append(endpoint)
        return flask_url_for(endpoint, **values)

    monkeypatch.setattr(app, "url_for", counted)
    with app.test_request_context("/"):
        urls = [builder("value_lists.entries", segment=segment, unit="currency")
                for segment in ("Enterprise", "Mid market", "SMB")]
        assert urls == ["/value?segment=Enterprise&unit=currency",
                        "/value?segment=Mid+market&unit=currency",
                        "/value?segment=SMB&unit=currency"]
        assert builder("accounts.show", slug="acme") == "/accounts/acme"
        assert builder("accounts.show", slug="acme", tab="value") == "/accounts/acme?tab=value"
        assert calls == ["value_lists.entries", "accounts.show"]
    with app.test_request_context("/", base_url="http://localhost/sub/"):
        assert builder("accounts.show", slug="acme") == "/sub/accounts/acme"
        assert calls == ["value_lists.entries", "accounts.show", "accounts.show"]


def test_what_flask_refuses_is_refused(app: Flask) -> None:
    builder: UrlBuilder = app.extensions["valuetracker.url_for"]
    with app.test_request_context("/"):
        for endpoint, values in (("no.such_endpoint", {}), ("accounts.show", {}),
                                 ("accounts.show", {"slug": None})):
            with pytest.raises(BuildError):
                app.url_for(endpoint, **values)
            with pytest.raises(BuildError):
                builder(endpoint, **values)
        # What the fast way leaves to Flask: external URLs, methods, schemes.
        for values in ({"_external": True}, {"_external": True, "_scheme": "https"},
                       {"_method": "GET"}, {"q": b"bytes"}):
            assert builder("value_lists.entries", **values) == \
                app.url_for("value_lists.entries", **values)
    with app.app_context():  # no request, no SERVER_NAME: Flask's RuntimeError
        with pytest.raises(RuntimeError):
            url_for("value_lists.entries")


def test_templates_use_it(app: Flask) -> None:
    assert app.jinja_env.globals["url_for"] is app.extensions["valuetracker.url_for"]
    with app.test_request_context("/"):
        html = render_template_string(
            "{{ url_for('value_lists.entries', segment='Mid market', driver=none, "
            "delivered_from=since, _anchor='rows') }}", since=date(2026, 1, 1))
        assert html == "/value?segment=Mid+market&amp;delivered_from=2026-01-01#rows"


def test_without_flasks_context_variable_it_reads_the_public_proxy(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Flask release without `flask.globals._cv_request`: the builder reads the request
    # through `flask.request_ctx` and builds the same strings.
    from valuetracker import templating

    monkeypatch.setattr(templating, "_cv_request", None)
    builder: UrlBuilder = app.extensions["valuetracker.url_for"]
    with app.test_request_context("/", base_url="http://localhost/sub/"):
        for query in QUERIES:
            assert builder("value_lists.entries", **query) == \
                app.url_for("value_lists.entries", **query)
    with app.app_context(), pytest.raises(RuntimeError):
        builder("value_lists.entries")  # as Flask: no request, no relative URL
