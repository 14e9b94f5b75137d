"""`valuetracker import`: all-or-nothing, reports, re-imports, options (accounts kind)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from valuetracker.models import Account, AuditEvent

from .conftest import count_rows, run_import
from .factories.csv_files import write_csv

HEADER = ["name", "external_id", "segment", "tier", "owner_email", "annual_revenue",
          "renewal_date"]


def test_import_creates_accounts_and_lists_unknown_columns(runner: Any, session: Any,
                                                            cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["Name", "External ID", "Tier", "Owner Email",
                                          "Annual Revenue", "Favourite Colour"], [
        ["Initech", "CRM-1", "Strategic", "am1@example.com", "$1,250,000.00", "blue"],
        ["Umbrella", "CRM-2", "key", "", "99 000,50", "red"],
    ])
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 0, result.output
    assert "Ignored unknown columns: Favourite Colour" in result.output
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    initech = session.exec(select(Account).where(Account.name == "Initech")).one()
    assert (initech.tier, initech.owner_id, initech.external_id) == ("strategic", cast.am1.id,
                                                                     "CRM-1")
    assert str(initech.annual_revenue) == "1250000.00" and initech.slug == "initech"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 1 and events[0].details["created"] == 2


def test_latin1_file_is_refused_naming_the_line(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name"], [["Acme"], ["Café Müller"]],
                     encoding="latin-1")
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    assert "not UTF-8" in result.output and "line 3" in result.output
    assert "Nothing was imported" in result.output
    assert count_rows(session) == 0


def test_bom_file_imports(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name", "segment"], [["Café Müller", "SMB"]], bom=True)
    assert run_import(runner, "accounts", path).exit_code == 0
    assert session.exec(select(Account.segment).where(Account.name == "Café Müller")).one() == "SMB"


def test_missing_required_column(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["company", "segment"], [["Acme", "SMB"]])
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    assert 'Required column "name" is missing' in result.output
    assert count_rows(session) == 0
    # --map fixes it.
    assert run_import(runner, "accounts", path, "--map", "Company=name").exit_code == 0
    assert count_rows(session) == 1


def test_bad_values_are_reported_by_row_column_and_reason(runner: Any, session: Any,
                                                           tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["Name", "Tier", "Renewal Date", "Owner Email"], [
        ["Good", "key", "2026-03-31", ""],
        ["Bad date", "key", "31/31/2026", ""],
        ["Bad tier", "gold", "", ""],
        ["", "key", "", ""],
        ["Bad owner", "key", "", "nobody@example.com"],
    ])
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    out = result.output
    assert 'row 3, column Renewal Date: "31/31/2026" is not a date' in out
    assert 'row 4, column Tier: "gold" is not one of: strategic, key, standard' in out
    assert "row 5, column Name: required" in out
    assert 'row 6, column Owner Email: no user with email "nobody@example.com"' in out
    assert "nothing was imported" in out
    assert count_rows(session) == 0


def test_ambiguous_dates_ask_for_a_format_then_work(runner: Any, session: Any,
                                                    tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name", "Renewal"], [["A", "03/04/2026"],
                                                               ["B", "05/06/2026"]])
    result = run_import(runner, "accounts", path, "--map", "Renewal=renewal_date")
    assert result.exit_code == 1
    assert 'Column "Renewal"' in result.output and "--date-format" in result.output
    assert count_rows(session) == 0
    result = run_import(runner, "accounts", path, "--map", "Renewal=renewal_date",
                 "--date-format", "%d/%m/%Y")
    assert result.exit_code == 0, result.output
    renewal = session.exec(select(Account.renewal_date).where(Account.name == "A")).one()
    assert renewal.isoformat() == "2026-04-03"


def test_duplicate_keys_in_the_file(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name", "external_id"], [
        ["Acme", "X1"], ["Other", "X1"], ["acme ", "X2"]])
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    assert "row 3, column external_id: duplicate external id (also on row 2)" in result.output
    assert "row 4, column name: duplicate account name (also on row 2)" in result.output
    assert count_rows(session) == 0


def test_ten_thousand_rows_all_or_nothing(runner: Any, session: Any, tmp_path: Path) -> None:
    rows = [[f"Account {i:05d}", f"EXT-{i}", "Enterprise", "key", "", f"{i * 10}.50",
             "12/31/2026"] for i in range(1, 10_001)]
    rows[9_997][6] = "not a date"  # file row 9,999 (header is row 1)
    path = write_csv(tmp_path / "big.csv", HEADER, rows)
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    assert 'row 9999, column renewal_date: "not a date" is not a date' in result.output
    assert count_rows(session) == 0
    assert count_rows(session, AuditEvent) == 0

    rows[9_997][6] = "12/31/2026"
    write_csv(path, HEADER, rows)
    started = time.monotonic()
    result = run_import(runner, "accounts", path)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "10000 created" in result.output
    assert count_rows(session) == 10_000
    assert elapsed < 30, f"10,000 rows took {elapsed:.1f}s"

    # Re-import: nothing new, nothing changed.
    result = run_import(runner, "accounts", path)
    assert "0 created, 0 updated, 10000 unchanged" in result.output
    assert count_rows(session) == 10_000


def test_reimport_updates_changed_rows_without_duplicates(runner: Any, session: Any,
                                                          cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name", "external_id", "tier"], [
        ["Initech", "C-1", "key"], ["Umbrella", "C-2", "standard"], ["Acme Corp", "", "key"]])
    assert run_import(runner, "accounts", path).exit_code == 0
    assert count_rows(session) == 4  # cast has two; Acme Corp matched by name
    acme = session.get(Account, cast.account1.id)
    assert acme.version == 1  # unchanged: tier already key
    # Rename by external id, change a tier; Acme keeps matching by name.
    write_csv(path, ["name", "external_id", "tier"], [
        ["Initech Inc", "C-1", "key"], ["Umbrella", "C-2", "strategic"],
        ["Acme Corp", "A-9", "key"]])
    result = run_import(runner, "accounts", path)
    assert "0 created, 3 updated, 0 unchanged" in result.output, result.output
    assert count_rows(session) == 4
    session.expire_all()
    initech = session.exec(select(Account).where(Account.external_id == "C-1")).one()
    assert (initech.name, initech.version) == ("Initech Inc", 2)
    assert session.get(Account, cast.account1.id).external_id == "A-9"
    assert session.exec(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "import")).one() == 2


def test_skip_invalid_writes_rejected_rows_with_reasons(runner: Any, session: Any,
                                                        tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crm.csv", ["name", "tier"], [
        ["Good", "key"], ["Bad", "gold"], ["Also good", ""]])
    result = run_import(runner, "accounts", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    rejected = tmp_path / "crm.rejected.csv"
    assert str(rejected) in result.output
    with rejected.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"name": "Bad", "tier": "gold",
                     "reason": 'tier: "gold" is not one of: strategic, key, standard'}]
    assert count_rows(session) == 2


def test_dry_run_writes_nothing(runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["name", "tier"], [["New", "key"],
                                                            ["Acme Corp", "strategic"]])
    result = run_import(runner, "accounts", path, "--dry-run")
    assert result.exit_code == 0
    assert "Dry run, nothing written. Would import 2 rows: 1 created, 1 updated" in result.output
    assert count_rows(session) == 2
    assert session.get(Account, cast.account1.id).tier == "key"
    assert count_rows(session, AuditEvent) == 0


def test_name_taken_by_another_account_on_rename(runner: Any, session: Any, cast: Any,
                                                 tmp_path: Path) -> None:
    cast.account2.external_id = "G-1"
    session.add(cast.account2)
    session.commit()
    path = write_csv(tmp_path / "a.csv", ["name", "external_id"], [["Acme Corp", "G-1"]])
    result = run_import(runner, "accounts", path)
    assert result.exit_code == 1
    assert 'another account is already named "Acme Corp"' in result.output


def _planner_row_count(session: Any, table: str) -> int | None:
    """The row count the database's planner statistics hold for `table` (None: none)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "sqlite":
        has_stats = session.execute(text(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
        row = session.execute(text(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = :t AND idx IS NOT NULL LIMIT 1"),
            {"t": table}).first() if has_stats else None
        return int(row[0].split()[0]) if row else None
    reltuples = session.execute(text(
        "SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one()
    return None if reltuples < 0 else int(reltuples)


def test_an_import_leaves_fresh_planner_statistics(runner: Any, session: Any, cast: Any,
                                                   tmp_path: Path) -> None:
    rows = [[f"Account {n}", f"CRM-{n}", "SMB", "standard", "", "1000", ""] for n in range(40)]
    result = run_import(runner, "accounts", write_csv(tmp_path / "a.csv", HEADER, rows))
    assert result.exit_code == 0, result.output
    session.commit()  # a new transaction sees the statistics
    assert _planner_row_count(session, "account") == count_rows(session) == 42


def test_every_kind_names_real_tables_to_refresh() -> None:
    from valuetracker.imports import KIND_TABLES, KINDS
    from valuetracker.models import metadata

    assert set(KIND_TABLES) == set(KINDS)
    named = {table for tables in KIND_TABLES.values() for table in tables}
    assert named <= set(metadata.tables) and "winloss_interview" in KIND_TABLES["deals"]
