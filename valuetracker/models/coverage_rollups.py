"""The coverage rollup: per account, the key stakeholders the summaries' coverage counts.

Kept current in the writer's transaction by `valuetracker.rollups.coverage` (never
written by hand). The account's status is not kept: it is read from the account, so a
status change moves no rollup row.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AccountCoverageRollup(SQLModel, table=True):
    """One account's key stakeholders: `key_people` not erased (the coverage lists),
    `reachable` of them we may e-mail (in the send when the account is active).
    Accounts without key stakeholders have no row."""

    __tablename__ = "account_coverage_rollup"
    account_id: int = Field(primary_key=True)  # no foreign key: a deleted account's rows go by code
    key_people: int = 0
    reachable: int = 0


class AccountSentRollup(SQLModel, table=True):
    """How many of one account's reachable key stakeholders were sent one quarter's
    summary (a `sent` sending of their `stakeholder` summary). Zero counts have no row."""

    __tablename__ = "account_sent_rollup"
    account_id: int = Field(primary_key=True)
    quarter: str = Field(primary_key=True, max_length=7)  # 2026-Q3
    sent: int = 0


__all__ = ["AccountCoverageRollup", "AccountSentRollup"]
