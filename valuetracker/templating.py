"""Jinja filters and globals shared by web pages and PDF layouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask, current_app, g

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


def register(app: Flask) -> None:
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
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
