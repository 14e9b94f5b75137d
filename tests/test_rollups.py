"""The value and driver-ranking rollups equal a full recompute after any sequence of writes.

A seeded random sequence of the areas' real write functions (value entries logged,
edited, confirmed, disputed, adjusted and deleted; pulses; stakeholders flagged; account
segments changed; a write rolled back), each committed as a view would, then the rollup
tables are compared with a rebuild from the source rows, and the portfolio's figures
with figures computed from the value entries themselves. Runs on SQLite and, with
VALUETRACKER_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from valuetracker import accounts, stakeholders
from valuetracker import value as domain
from valuetracker.models import (
    DRIVERS,
    Account,
    AccountDriftRollup,
    AccountValueRollup,
    SegmentDriftRollup,
    SegmentValueRollup,
    Stakeholder,
    ValueEntry,
)
from valuetracker.quarters import quarter_of
from valuetracker.rollups.build import rebuild_all

from .conftest import run_import
from .factories import make_account, make_stakeholder
from .factories.csv_files import write_csv

TABLES = (AccountValueRollup, SegmentValueRollup, AccountDriftRollup, SegmentDriftRollup)
SEGMENTS = ("Enterprise", "Mid-market", None)
START = date(2025, 7, 1)


def _rows(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup table's rows, amounts as two-place Decimals."""
    out = {}
    for model in TABLES:
        table = model.__table__
        rows = session.connection().execute(sa.select(table)).all()
        out[table.name] = {tuple(Decimal(str(v)).quantize(Decimal("0.01"))
                                 if isinstance(v, (Decimal, float)) else v for v in row)
                           for row in rows}
    return out


def _assert_equal_to_rebuild(session: Session) -> None:
    kept = _rows(session)
    rebuild_all(session.connection())
    rebuilt = _rows(session)
    session.rollback()
    assert kept == rebuilt
    assert rebuilt["account_value_rollup"], "the sequence must have produced value rows"


def _assert_figures_match_source(session: Session, quarters: list[Any]) -> None:
    """Migration totals (segment rollups) equal value by quarter (the entries themselves),
    and a scope of every account (the accounts' rollups) gives the same figures."""
    by_quarter = domain.value_by_quarter(session, quarters=quarters)
    migration = domain.value_migration(session, quarters=quarters)
    every = list(session.exec(select(Account.id)).all())
    assert domain.value_migration(session, quarters=quarters, account_ids=every) == migration
    for q in quarters:
        from_rollups = {d: sum((m.quarters[q.label][d].amount for m in migration), Decimal(0))
                        for d in DRIVERS}
        assert from_rollups == by_quarter[q.label], q.label
    drift = domain.priority_drift(session, quarters=quarters)
    assert domain.priority_drift(session, quarters=quarters, account_ids=every) == drift


class Writer:
    """Random writes through the areas' write functions, one committed transaction each."""

    def __init__(self, session: Session, rng: random.Random, user: Any) -> None:
        self.session, self.rng, self.user = session, rng, user

    def _day(self) -> date:
        return START + timedelta(days=self.rng.randrange(0, 540))

    def _entries(self) -> list[ValueEntry]:
        return list(self.session.exec(select(ValueEntry).order_by(ValueEntry.id)).all())

    def log_value(self) -> None:
        account = self.rng.choice(list(self.session.exec(select(Account)).all()))
        domain.create_entry(self.session, account, {
            "title": "Saved time", "driver": self.rng.choice(DRIVERS),
            "amount": Decimal(self.rng.randrange(1, 100000)) / 100,
            "unit": self.rng.choice(("currency", "currency", "currency", "hours")),
            "delivered_on": self._day(),
            "evidence_status": self.rng.choice(("claimed", "confirmed", "disputed"))},
            user=self.user)

    def edit_value(self) -> None:
        entries = [e for e in self._entries() if not e.is_described]
        if entries:
            entry = self.rng.choice(entries)
            domain.update_entry(self.session, entry, {
                "amount": Decimal(self.rng.randrange(1, 100000)) / 100,
                "delivered_on": self._day(), "driver": self.rng.choice(DRIVERS)},
                expected_version=entry.version, user=self.user)

    def answer_value(self) -> None:
        entries = [e for e in self._entries() if not e.is_described]
        if entries:
            entry = self.rng.choice(entries)
            response = self.rng.choice(("confirmed", "disputed", "adjusted"))
            person = self.session.exec(select(Stakeholder).where(
                Stakeholder.account_id == entry.account_id)).first()
            domain.record_confirmation(
                self.session, entry, stakeholder_id=person.id if person else None,
                response=response, comment=None, user=self.user,
                adjusted_amount=Decimal(self.rng.randrange(1, 5000)) if response == "adjusted"
                else None)

    def delete_value(self) -> None:
        entries = self._entries()
        if entries:
            domain.delete_entry(self.session, self.rng.choice(entries), user=self.user)

    def pulse(self) -> None:
        person = self.rng.choice(list(self.session.exec(select(Stakeholder)).all()))
        named = self.rng.sample(DRIVERS, self.rng.choice((3, 4, len(DRIVERS))))
        domain.record_pulse(self.session, person, {
            "satisfaction": self.rng.randint(1, 5),
            "repurchase_intent": self.rng.choice(("definitely", "probably", "not_sure")),
            "recommend": self.rng.randint(0, 10),
            "driver_ranking": named if self.rng.random() < 0.8 else None},
            taken_on=self._day(), user=self.user)

    def flag_person(self) -> None:
        person = self.rng.choice(list(self.session.exec(select(Stakeholder)).all()))
        stakeholders.set_flag(self.session, person, self.rng.choice(("key", "opted_out", "left")),
                              self.rng.random() < 0.5, user=self.user)

    def change_segment(self) -> None:
        account = self.rng.choice(list(self.session.exec(select(Account)).all()))
        accounts.update_account(self.session, account,
                                data={"segment": self.rng.choice(SEGMENTS)},
                                expected_version=account.version, user=self.user)

    def step(self) -> None:
        write = self.rng.choices(
            (self.log_value, self.edit_value, self.answer_value, self.delete_value,
             self.pulse, self.flag_person, self.change_segment),
            weights=(6, 3, 3, 2, 4, 1, 1))[0]
        write()
        if self.rng.random() < 0.1:
            self.session.rollback()  # a write that failed: nothing of it may remain
        else:
            self.session.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_a_full_recompute_after_random_writes(session: Session, cast: Any,
                                                            seed: int) -> None:
    rng = random.Random(seed)
    for i, segment in enumerate(SEGMENTS):
        account = make_account(session, f"Rollup {i}", segment=segment)
        make_stakeholder(session, account, f"Person {i}", is_key=True)
    session.commit()
    writer = Writer(session, rng, cast.admin)
    quarters = quarter_of(START + timedelta(days=540)).last(6)
    for n in range(80):
        writer.step()
        if n % 20 == 19:
            _assert_equal_to_rebuild(session)
            _assert_figures_match_source(session, quarters)
    _assert_equal_to_rebuild(session)
    _assert_figures_match_source(session, quarters)


def test_a_bulk_import_rebuilds_the_rollups(session: Session, cast: Any) -> None:
    """A bulk INSERT (as imports write) names no account: the rollups are rebuilt whole."""
    session.execute(sa.insert(ValueEntry), [
        {"account_id": cast.account1.id, "title": f"Imported {i}", "driver": "productivity",
         "amount": Decimal("10.50"), "unit": "currency", "delivered_on": date(2026, 4, 2),
         "evidence_status": "confirmed"} for i in range(3)])
    session.commit()
    row = session.get(SegmentValueRollup, ("Enterprise", date(2026, 4, 1), "productivity"))
    assert row is not None and row.entries == 3 and row.confirmed == Decimal("31.50")
    _assert_equal_to_rebuild(session)


def test_a_value_import_keeps_the_rollups_current(runner: Any, session: Session, cast: Any,
                                                  tmp_path: Path) -> None:
    """`valuetracker import value` (batched INSERTs, then edits of existing entries) leaves
    the rollups equal to a rebuild, and the portfolio counts what it imported."""
    header = ["account", "title", "driver", "amount", "unit", "delivered_on",
              "evidence_status"]
    path = write_csv(tmp_path / "v.csv", header, [
        ["Acme Corp", "Saved licences", "cost reduction", "12500", "", "2026-04-15",
         "Confirmed"],
        ["Globex", "Faster close", "productivity", "800", "", "2026-05-02", ""],
        ["Globex", "Hours saved", "productivity", "40", "hours", "2026-05-02", ""],
    ])
    result = run_import(runner, "value", path)
    assert result.exit_code == 0, result.output
    session.expire_all()
    row = session.get(SegmentValueRollup, ("Enterprise", date(2026, 4, 1), "cost_reduction"))
    assert row is not None and (row.amount, row.confirmed) == (Decimal("12500"),
                                                               Decimal("12500"))
    _assert_equal_to_rebuild(session)
    write_csv(path, header, [["Globex", "Faster close", "productivity", "900", "",
                              "2026-05-02", "confirmed"]])
    result = run_import(runner, "value", path)
    assert "0 created, 1 updated" in result.output, result.output
    session.expire_all()
    edited = session.get(AccountValueRollup, (cast.account2.id, date(2026, 5, 1),
                                              "productivity"))
    assert edited is not None and (edited.amount, edited.confirmed) == (Decimal("900"),
                                                                        Decimal("900"))
    _assert_equal_to_rebuild(session)
