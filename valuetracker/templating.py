"""Jinja filters and globals shared by web pages and PDF layouts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask, current_app

from .forms import EmptyForm
from .models import label


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


# Main navigation: (endpoint, text, roles allowed). Items whose endpoint is not
# registered are left out, so an area appears as soon as its blueprint has the view.
NAV = (
    ("accounts.index", "Accounts", None),
    ("portfolio.index", "Portfolio", None),
    ("winloss.deals", "Deals", None),
    ("winloss.queue", "Interviews", ("analyst", "leader", "admin")),
    ("winloss.analytics", "Win/loss", ("analyst", "leader", "admin")),
    ("summaries.coverage", "Coverage", None),
    ("exports.index", "Exports", ("account_manager", "leader", "admin")),
    ("imports.index", "Import", ("account_manager", "analyst", "admin")),
    ("admin.list_users", "Admin", ("admin",)),
)


def nav_items() -> list[tuple[str, str]]:
    from flask_login import current_user

    items = []
    for endpoint, text, roles in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if roles and current_user.role not in roles:
            continue
        items.append((endpoint, text))
    return items


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money,
        amount=amount_with_unit,
        percent=percent,
        datefmt=datefmt,
        label=label,
    )
    app.jinja_env.globals.update(
        EmptyForm=EmptyForm,
        nav_items=nav_items,
        has_endpoint=lambda endpoint: endpoint in current_app.view_functions,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
