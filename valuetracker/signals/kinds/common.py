"""What the signal kinds share: the windows of their rules, how a person is named, and
the page each kind's signal links to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import url_for

# Windows of the rules (days).
NO_VALUE_DAYS = 90
LEFT_WINDOW_DAYS = 90  # a departure stays a signal this long unless a successor is mapped
RENEWAL_DAYS = 90
DEAL_LOST_DAYS = 90
LINK_UNANSWERED_DAYS = 14
LOW_SHARE = Decimal("0.25")
# Value delivered this recently that the customer has not answered about yet (still
# `claimed`) is not held against the confirmed share: they have hardly had the time (and
# every account would raise the signal in the first weeks of a fiscal year).
CONFIRM_GRACE_DAYS = 30
NPS_DROP = 20


def person_label(name: str, title: str | None) -> str:
    """"Nina Costa (CFO)", or the name alone."""
    return f"{name} ({title})" if title else name


def day_of(moment: Any) -> date:
    """The day of a timestamp (a date stays as it is)."""
    return moment.date() if hasattr(moment, "date") and callable(moment.date) else moment


def stakeholder_link(signal: Any, slug: str) -> str:
    """The person's page; the account's when the signal names nobody (e.g. a pulse or an
    answer whose person was erased since, or a data load without the link)."""
    if signal.stakeholder_id is None:
        return url_for("accounts.show", slug=slug)
    return url_for("stakeholders.show", stakeholder_id=signal.stakeholder_id)


def page_link(endpoint: str, anchor: str = "") -> Any:
    """A link to one of the account's pages (`endpoint` takes the slug), at `anchor`."""
    return lambda signal, slug: url_for(endpoint, slug=slug) + anchor


def account_link(anchor: str = "") -> Any:
    """A link to the account's page, at `anchor`."""
    return page_link("accounts.show", anchor)
