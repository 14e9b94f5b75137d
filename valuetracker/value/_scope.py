"""Shared helpers for the value package: account scoping and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

# Accounts are passed to every figure as `account_ids`: a list of ids, a SELECT of
# ids (e.g. `select(Account.id).where(account_scope(user))`), or None for all.
AccountIds = Any


def scoped(stmt: Any, column: Any, account_ids: AccountIds) -> Any:
    """Limit `stmt` to rows whose `column` is one of `account_ids` (None = no limit)."""
    if account_ids is None:
        return stmt
    if isinstance(account_ids, (list, tuple, set, frozenset)):
        account_ids = list(account_ids)
    return stmt.where(column.in_(account_ids))


def today_or(today: date | None) -> date:
    return today or date.today()


def dec(value: Any) -> Decimal:
    """A SQL aggregate (None, float on some drivers, Decimal) as Decimal."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def ratio(numerator: Any, denominator: Any) -> Decimal | None:
    """numerator / denominator as Decimal, None when there is nothing to divide by."""
    den = dec(denominator)
    if den == 0:
        return None
    return dec(numerator) / den
