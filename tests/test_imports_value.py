"""Importing value entries: beneficiaries, matching on (account, title, date)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import select

from valuetracker.models import ValueEntry, ValueEntryBeneficiary

from .conftest import count_rows, run_import
from .factories.csv_files import write_csv

HEADER = ["account", "title", "driver", "amount", "unit", "delivered_on", "evidence_status",
          "beneficiaries", "source"]


def test_value_import_and_reimport(runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    carol = cast.stakeholder1.email
    path = write_csv(tmp_path / "v.csv", HEADER, [
        ["Acme Corp", "Cut onboarding time", "Productivity", "120", "hours", "03/31/2026",
         "", carol, "QBR"],
        ["Acme Corp", "Saved licences", "cost reduction", "$12,500.00", "", "04/15/2026",
         "Confirmed", "", ""],
    ])
    result = run_import(runner, "value", path)
    assert result.exit_code == 0, result.output
    entries = {e.title: e for e in session.exec(select(ValueEntry)).all()}
    hours = entries["Cut onboarding time"]
    assert (hours.driver, hours.unit, hours.amount, hours.evidence_status) == (
        "productivity", "hours", Decimal("120.00"), "claimed")
    assert entries["Saved licences"].amount == Decimal("12500.00")
    links = session.exec(select(ValueEntryBeneficiary)).all()
    assert [(b.entry_id, b.stakeholder_id) for b in links] == [(hours.id, cast.stakeholder1.id)]

    # Same file again: unchanged. A changed amount and no beneficiary: one update.
    assert "0 created, 0 updated, 2 unchanged" in run_import(runner, "value", path).output
    write_csv(path, HEADER, [["acme corp", "cut onboarding time", "productivity", "130",
                              "hours", "2026-03-31", "", "", "QBR"]])
    result = run_import(runner, "value", path)
    assert "0 created, 1 updated" in result.output, result.output
    assert count_rows(session, ValueEntry) == 2
    session.expire_all()
    assert session.get(ValueEntry, hours.id).amount == Decimal("130.00")
    assert count_rows(session, ValueEntryBeneficiary) == 0


def test_value_row_errors(runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", HEADER, [
        ["Acme Corp", "A", "happiness", "1", "", "2026-01-01", "", "", ""],
        ["Acme Corp", "B", "strategic", "", "", "2026-01-01", "", "", ""],
        ["Acme Corp", "C", "strategic", "1", "", "2026-01-01", "",
         cast.stakeholder2.email, ""],
        ["Acme Corp", "D", "strategic", "1", "", "2026-01-01", "", "", ""],
        ["Acme Corp", "d", "strategic", "1", "", "2026-01-01", "", "", ""],
    ])
    result = run_import(runner, "value", path)
    assert result.exit_code == 1
    out = result.output
    assert 'row 2, column driver: "happiness" is not one of' in out
    assert "row 3, column amount: required" in out
    assert f'row 4, column beneficiaries: no stakeholder with email "{cast.stakeholder2.email}"' \
        in out
    assert "row 6, column title: duplicate entry: same account, title and date as row 5" in out
    assert count_rows(session, ValueEntry) == 0
