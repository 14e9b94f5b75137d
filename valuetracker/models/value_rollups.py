"""Per-account and per-segment rollups of value delivered and of pulses' driver rankings.

Kept current in the writer's transaction by `valuetracker.rollups` (never written by
hand). One row per (account or segment, calendar month, driver): months, not quarters,
so the fiscal-year setting can change without a rebuild.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Field, SQLModel

from .base import money_field


class _ValueMeasures(SQLModel):
    """What a value rollup counts: entries, their counted amount and the confirmed part."""

    entries: int = 0
    amount: Decimal = money_field(nullable=False, default=Decimal(0))
    confirmed: Decimal = money_field(nullable=False, default=Decimal(0))


class _DriftMeasures(SQLModel):
    """What a drift rollup counts (see `AccountDriftRollup`)."""

    rankings: int = 0
    places: int = 0
    left_out2: int = 0
    firsts: int = 0
    first_left_out2: int = 0


class _AccountMonth(SQLModel):
    """The key of an account's rollup row, and the segment it is counted under."""

    account_id: int = Field(primary_key=True)  # no foreign key: a deleted account's rows go by code
    month: date = Field(primary_key=True)  # the first day of the month
    driver: str = Field(primary_key=True, max_length=40)
    segment: str = Field(max_length=80)


class _SegmentMonth(SQLModel):
    """The key of a segment's rollup row."""

    segment: str = Field(primary_key=True, max_length=80)
    month: date = Field(primary_key=True)
    driver: str = Field(primary_key=True, max_length=40)


# Each table is a key and its measures; the key's columns come first (pydantic orders the
# fields of the last base first).
class AccountValueRollup(_ValueMeasures, _AccountMonth, table=True):
    """Counted currency value of one account delivered in one month, per driver."""

    __tablename__ = "account_value_rollup"


class SegmentValueRollup(_ValueMeasures, _SegmentMonth, table=True):
    """The sum of `AccountValueRollup` per segment, month and driver."""

    __tablename__ = "segment_value_rollup"


class AccountDriftRollup(_DriftMeasures, _AccountMonth, table=True):
    """Pulses' driver rankings of one account taken in one month, per named driver.

    `rankings` = rankings naming the driver, `places` = the sum of its places,
    `left_out2` = the sum of (ranking length + 1 + number of drivers), `firsts` = rankings
    putting it first and `first_left_out2` their `left_out2` (see `priority_drift`).
    """

    __tablename__ = "account_drift_rollup"


class SegmentDriftRollup(_DriftMeasures, _SegmentMonth, table=True):
    """The sum of `AccountDriftRollup` per segment, month and driver."""

    __tablename__ = "segment_drift_rollup"
