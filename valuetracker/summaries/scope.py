"""Who is in a quarter's send: one rule for coverage and for generating and sending.

In the send (docs/definitions.md) = the key stakeholders of **active** accounts (status
`active`) whom we may e-mail: not erased, not left the company, not opted out, and with an
e-mail address (the contact rule, `Stakeholder.contact_block_reason(by_email=True)`).
Coverage is "those of them sent the quarter's summary / all of them" (coverage.py), and a
batch renders and sends a summary for exactly them (`generate.plan_batch`), so what
"Generate all" does and what coverage counts are the same people, and 100% is reachable.

`send_exclusion` answers it for one person (with why not); `in_send_condition` is the same
rule in SQL, beside it. Accounts that are not active are named with how many key
stakeholders they hold (`excluded_accounts`), so nobody leaves the send without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import LEFT_COMPANY, OPTED_OUT, Account, Stakeholder
from ..pagination import Page, paginate
from ..rollups import coverage as coverage_rollup

# The one account status whose key stakeholders get the quarter's summary.
SEND_ACCOUNT_STATUS = "active"
NOT_KEY = "not a key stakeholder"


def account_exclusion(status: str) -> str:
    """The reason given for everyone of an account that is not active: "account churned"."""
    return f"account {status}"


def send_exclusion(*, account_status: str, is_key: bool, block_reason: str | None
                   ) -> str | None:
    """Why this stakeholder is not in the quarter's send, or None when they are.

    `block_reason` is the contact rule's answer for an e-mail
    (`Stakeholder.contact_block_reason(by_email=True)`, or `models.contact_block(...,
    by_email=True)` for selected columns). The account's status comes first: nobody of a
    churned or prospect account is in the send, whatever their own state.
    `in_send_condition` is the same rule in SQL.
    """
    if not is_key:
        return NOT_KEY
    if account_status != SEND_ACCOUNT_STATUS:
        return account_exclusion(account_status)
    return block_reason


def exclusion_since(reason: str | None, *, left: datetime | None,
                    opted_out: datetime | None) -> date | None:
    """The day an exclusion began, shown beside it ("opted out on 2026-10-02"): when the
    person left the company or opted out; None for any other reason."""
    moment = {LEFT_COMPANY: left, OPTED_OUT: opted_out}.get(reason or "")
    return moment.date() if moment is not None else None


def stakeholder_exclusion(stakeholder: Stakeholder, account: Account) -> str | None:
    """`send_exclusion` for a loaded stakeholder and their account."""
    return send_exclusion(account_status=account.status, is_key=stakeholder.is_key,
                          block_reason=stakeholder.contact_block_reason(by_email=True))


def in_send_condition() -> Any:
    """SQL over Stakeholder joined to its Account: `send_exclusion(...)` is None."""
    return sa.and_(Stakeholder.is_key.is_(True), send_account_condition(),
                   Stakeholder.contactable_condition(by_email=True))


def send_account_condition() -> Any:
    """SQL over Account: its key stakeholders may be in the send (the account is active)."""
    return Account.status == SEND_ACCOUNT_STATUS


@dataclass
class ExcludedAccount:
    """An account whose key stakeholders are not in the send because of its status."""

    account_id: int
    name: str
    slug: str
    status: str
    key_stakeholders: int  # key stakeholders not erased

    def as_dict(self) -> dict[str, Any]:
        """For a job's `result` (JSON)."""
        return {"account_id": self.account_id, "name": self.name, "slug": self.slug,
                "status": self.status, "key_stakeholders": self.key_stakeholders}


def excluded_accounts_query(scope: Any) -> Any:
    """(id, name, slug, status, key stakeholders) of every account in `scope` that is not
    in the send and has key stakeholders (not erased), by name: the counts are the
    coverage rollup's (`valuetracker.rollups.coverage`; callers `settle` it first)."""
    people = coverage_rollup.PEOPLE
    return (
        coverage_rollup.with_people(
            select(Account.id, Account.name, Account.slug, Account.status, people.key_people))
        .where(scope, sa.not_(send_account_condition()), people.key_people > 0)
        .order_by(Account.name)
    )


def excluded_accounts(session: Session, scope: Any) -> list[ExcludedAccount]:
    """The accounts of `excluded_accounts_query`, as rows."""
    coverage_rollup.settle(session)
    return [ExcludedAccount(*row) for row in session.exec(excluded_accounts_query(scope)).all()]


def excluded_accounts_page(session: Session, scope: Any, *, number: int, size: int) -> Page:
    """One page of `excluded_accounts` (the coverage page's "Not in the send")."""
    coverage_rollup.settle(session)
    page = paginate(session, excluded_accounts_query(scope), number=number, size=size)
    return replace(page, items=[ExcludedAccount(*row) for row in page.items])


def not_in_send_count(result: dict[str, Any] | None) -> int:
    """How many key stakeholders a batch's job result names as not in the send: the
    people skipped, plus the key stakeholders of the accounts left out."""
    result = result or {}
    return len(result.get("skipped", [])) + sum(
        int(a.get("key_stakeholders", 0)) for a in result.get("excluded_accounts", []))
