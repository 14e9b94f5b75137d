"""The registry of signal kinds: what each one is, how bad, what clears it, what to do.

A kind is one function registered with `@kind(...)` that answers, for a `Context` (the
day, and optionally some accounts), every occurrence that is true now, as `Fact`s. It
runs one or two set-based SQL queries over all the accounts asked about (never a query
per account); Python only formats the messages of the rows it got back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from ..models import Account
from ..quarters import Quarter, quarter_of


@dataclass(frozen=True)
class Context:
    """What a refresh asks about: the day (and the moment) and which accounts (None: all).

    Signals are computed for active accounts only: a prospect, churned or archived
    account has nothing to act on, and its open signals clear."""

    today: date
    now: datetime
    account_ids: tuple[int, ...] | None = None
    start_month: int = 1

    @property
    def quarter(self) -> Quarter:
        return quarter_of(self.today, self.start_month)

    def accounts(self, column: Any = None) -> Any:
        """SQL over Account (joined on `column` when given): active, and one of the
        accounts asked about."""
        condition = Account.status == "active"
        if self.account_ids is not None:
            condition = sa.and_(condition, Account.id.in_(self.account_ids))
        if column is not None:
            condition = sa.and_(condition, column == Account.id)
        return condition

    def of(self, column: Any) -> Any:
        """SQL: `column` (an account id) is one of the accounts asked about."""
        return sa.true() if self.account_ids is None else column.in_(self.account_ids)


@dataclass
class Fact:
    """One occurrence a kind finds true now: the subject (`key` within the account and
    kind), the person and the object that caused it, since when, the message."""

    account_id: int
    key: str
    since: date
    message: str
    stakeholder_id: int | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


# A signal's link: (signal, account slug) -> URL of what caused it.
Link = Callable[[Any, str], str]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    severity: str
    weight: int  # the default weight (health points taken off while open)
    clears: str  # what clears it, for docs and the account page
    next_step: str  # what to do next
    compute: Callable[[Session, Context], list[Fact]]
    link: Link
    after: bool = False  # computed after the others (it reads their results)


KINDS: dict[str, Kind] = {}


def kind(*, name: str, label: str, severity: str, weight: int, clears: str, next_step: str,
         link: Link, after: bool = False) -> Callable[[Callable[..., list[Fact]]],
                                                      Callable[..., list[Fact]]]:
    """Register a signal kind (see the module)."""

    def register(fn: Callable[..., list[Fact]]) -> Callable[..., list[Fact]]:
        KINDS[name] = Kind(name, label, severity, weight, clears, next_step, fn, link, after)
        return fn

    return register


__all__ = ["KINDS", "Context", "Fact", "Kind", "kind"]
