"""The win/loss rollup: deal outcomes and interview figures per month of closing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Execution options of a bulk statement on deals, competitors met, interviews or ratings:
# the deals (or interviews) it touches, so the rollup recounts their months only (an
# empty tuple: nothing the rollup counts). Without one, a bulk write recounts everything.
ROLLUP_DEALS = "deal_rollup_deals"
ROLLUP_INTERVIEWS = "deal_rollup_interviews"


class DealRollup(SQLModel, table=True):
    """Counts of closed deals (and of their interviews) per month of closing and group.

    Kept by `valuetracker.rollups.deals`, never written by hand. `kind` says what a row
    counts and what its key columns hold (see that module); `month` is the first day of
    the month the deals closed in (NULL: closed deals without a close date).
    """

    __tablename__ = "deal_rollup"
    __table_args__ = (sa.Index("ix_deal_rollup_kind_month", "kind", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    month: date | None = None
    outcome: str = Field(max_length=20)
    ref_id: int | None = None
    ref2_id: int | None = None
    label: str | None = Field(default=None, max_length=200)
    n: int = 0
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    rated: int = 0
    rating_sum: int = 0
    weighted: int = 0
    importance_sum: int = 0


__all__ = ["ROLLUP_DEALS", "ROLLUP_INTERVIEWS", "DealRollup"]
