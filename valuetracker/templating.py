"""Jinja filters and globals shared by web pages and PDF layouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

from flask import Flask, current_app, g, has_request_context
from flask.globals import request_ctx

try:  # the context variable Flask's own url_for reads (the public proxy costs ~3 µs a link)
    from flask.globals import _cv_request
except ImportError:  # a Flask without it: the public proxy
    _cv_request = None

from .access import (
    Permissions,
    may_administer,
    may_export,
    may_import,
    reads_winloss_program,
)
from .cache import cached
from .db import get_session
from .forms import EmptyForm
from .models import label
from .summaries.branding import Branding, get_branding
from .wording import counted, days_ago, plural, possessive


def money(value: Any, currency: str | None = None, places: int = 0) -> str:
    """Decimal -> "$1,234" (rounding only here, for display)."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value).quantize(Decimal(1) if places == 0 else Decimal("0.01"), ROUND_HALF_UP)
    code = currency or current_app.config.get("CURRENCY", "USD")
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(code)
    text = f"{abs(amount):,.{places}f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def amount_with_unit(value: Any, unit: str) -> str:
    if unit == "currency":
        return money(value)
    number = Decimal(value).normalize() if value is not None else None
    if number is None:
        return "—"
    text = f"{number:,f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:,f}"
    suffix = {"hours": " h", "percent": " %", "count": ""}.get(unit, f" {unit}")
    return f"{text}{suffix}"


def percent(value: Any, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{places}f}%"


def datefmt(value: date | datetime | None, fmt: str = "%Y-%m-%d") -> str:
    if value is None:
        return "—"
    return value.strftime(fmt)


# Main navigation: (endpoint, text, who sees it: an access predicate, None for everyone).
# Items whose endpoint is not registered are left out, so an area appears as soon as its
# blueprint has the view.
NAV: tuple[tuple[str, str, Callable[[Any], bool] | None], ...] = (
    ("work.my_work", "My work", None),
    ("tasks.index", "Tasks", None),
    ("accounts.index", "Accounts", None),
    ("stakeholders.index", "Stakeholders", None),
    ("value_lists.entries", "Value", None),
    ("portfolio.index", "Portfolio", None),
    ("winloss.deals", "Deals", None),
    ("winloss.queue", "Interviews", reads_winloss_program),
    ("winloss.analytics", "Win/loss", reads_winloss_program),
    ("summaries.coverage", "Coverage", None),
    ("exports.index", "Exports", may_export),
    ("imports.index", "Import", may_import),
    ("admin.list_users", "Admin", may_administer),
)


def nav_items() -> list[tuple[str, str]]:
    from flask_login import current_user

    items = []
    for endpoint, text, allowed in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if allowed is not None and not allowed(current_user):
            continue
        items.append((endpoint, text))
    return items


def unread_notifications() -> int:
    """The signed-in user's unread notifications, for the menu (a COUNT, read again only
    after the notifications change)."""
    from flask_login import current_user

    from .notifications.inbox import unread_count

    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        # Kept per user until a notification is written (or a user: an id reused).
        session = get_session()
        g.unread_notifications = cached(session, "unread-notifications", (current_user.id,),
                                        lambda: unread_count(session, current_user),
                                        tables=("notification", "user"))
    return int(g.unread_notifications)


def page_branding() -> Branding:
    """The branding of the stakeholders' pages, read once per request: the public layout
    asks for it, so every page that extends the layout is branded without its view's help."""
    if "page_branding" not in g:
        g.page_branding = get_branding(get_session())
    return g.page_branding


# werkzeug.urls._urlencode's safe characters (the WHATWG percent-encode set's complement).
_QUERY_SAFE = "!$'()*,/:;?@"
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # Flask's url_for's, for `_anchor`


@lru_cache(maxsize=8192)
def _query_quote(text: str) -> str:
    """One query-string key or value quoted as werkzeug quotes it (urlencode's quote_plus)."""
    return quote_plus(text, safe=_QUERY_SAFE)


class UrlBuilder:
    """The templates' `url_for`: the same string as Flask's `app.url_for`, built cheaply.

    A page of figures builds hundreds of links to a few endpoints that differ only in
    their query strings; werkzeug matches the rule and encodes the query afresh for each.
    Here the path part (endpoint + path values + script root) is built once by Flask and
    kept; the query string is appended the way werkzeug's `Rule._encode_query_vars`
    writes it (values in the order given, None dropped, lists repeated, `str()` of
    anything else, `urlencode`'s quoting). Anything unusual goes to Flask's `url_for`
    itself: outside a request, `_external`/`_method`/`_scheme`, a relative (".x")
    or unknown endpoint, an endpoint with several rules or rule defaults, path values
    other than str/int, bytes, registered `url_defaults`, subdomain or host matching,
    sorted parameters. tests/test_templating_urls.py checks it against Flask's.
    """

    MAX_PATHS = 20_000  # paths kept (per account slug, entry id ...); then start again

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._arguments: dict[str, tuple[str, ...] | None] = {}
        self._paths: dict[tuple[Any, ...], str] = {}

    def _path_arguments(self, endpoint: str) -> tuple[str, ...] | None:
        """The rule's path arguments of an endpoint the fast way can build, else None."""
        app, url_map = self.app, self.app.url_map
        rules = url_map._rules_by_endpoint.get(endpoint, ())
        rule = rules[0] if len(rules) == 1 else None
        plain = (rule is not None and not rule.defaults and not rule.websocket
                 and rule.subdomain == (url_map.default_subdomain or "")
                 and not url_map.host_matching and not app.subdomain_matching
                 and not url_map.sort_parameters
                 and not any(app.url_default_functions.values()))
        arguments = tuple(sorted(rule.arguments)) if plain and rule is not None else None
        self._arguments[endpoint] = arguments
        return arguments

    def __call__(self, endpoint: str, /, **values: Any) -> str:
        arguments = self._arguments.get(endpoint, ())
        if arguments == ():
            arguments = self._path_arguments(endpoint)
        # The request's URL adapter, read as Flask's url_for reads it (a proxy costs more).
        if _cv_request is not None:
            ctx = _cv_request.get(None)
        else:
            ctx = request_ctx._get_current_object() if has_request_context() else None
        if arguments is None or ctx is None:
            return self.app.url_for(endpoint, **values)
        path_values: dict[str, Any] = {}
        query: list[str] = []
        anchor = None
        for key, value in values.items():
            if value is None:
                continue  # werkzeug drops None values (and Flask a None `_anchor`)
            if key in arguments:
                if type(value) is not str and type(value) is not int:
                    return self.app.url_for(endpoint, **values)
                path_values[key] = value
            elif key[:1] == "_":
                if key != "_anchor":
                    return self.app.url_for(endpoint, **values)
                anchor = value
            elif type(value) is str:
                query.append(f"{_query_quote(key)}={_query_quote(value)}")
            elif isinstance(value, (list, tuple, set)):
                for item in value:
                    if item is None:
                        continue
                    if isinstance(item, bytes):
                        return self.app.url_for(endpoint, **values)
                    query.append(f"{_query_quote(key)}={_query_quote(str(item))}")
            elif isinstance(value, bytes):
                return self.app.url_for(endpoint, **values)
            else:
                query.append(f"{_query_quote(key)}={_query_quote(str(value))}")
        if len(path_values) != len(arguments):
            return self.app.url_for(endpoint, **values)  # a missing value: Flask's BuildError
        # str and int values only: no two of them equal unless they build the same path.
        key = (endpoint, ctx.url_adapter.script_name, *[path_values[a] for a in arguments])
        path = self._paths.get(key)
        if path is None:
            path = self.app.url_for(endpoint, **path_values)
            if len(self._paths) >= self.MAX_PATHS:
                self._paths.clear()
            self._paths[key] = path
        url = f"{path}?{'&'.join(query)}" if query else path
        if anchor is not None:
            url = f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"
        return url


def url_for(endpoint: str, /, **values: Any) -> str:
    """Flask's `url_for` through the app's UrlBuilder: for a view that builds a page of
    links itself (the win/loss analytics' figure links)."""
    builder: UrlBuilder = current_app.extensions["valuetracker.url_for"]
    return builder(endpoint, **values)


def register(app: Flask) -> None:
    app.extensions["valuetracker.url_for"] = builder = UrlBuilder(app)
    app.jinja_env.filters.update(
        money=money,
        amount=amount_with_unit,
        percent=percent,
        datefmt=datefmt,
        label=label,
        counted=counted,  # {{ n|counted("value entry") }}
        plural=plural,
        possessive=possessive,
        days_ago=days_ago,  # {{ 8|days_ago }} -> "8 days ago"
    )
    app.jinja_env.globals.update(
        EmptyForm=EmptyForm,
        nav_items=nav_items,
        unread_notifications=unread_notifications,  # the menu's badge (base.html)
        can=Permissions(),  # what the signed-in user may do: {% if can.export %}
        has_endpoint=lambda endpoint: endpoint in current_app.view_functions,
        branding=page_branding,  # templates/public/_layout.html
        url_for=builder,  # Flask's url_for, cheaper for pages of links
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
