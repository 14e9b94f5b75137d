"""Importing stakeholders: account references, reports-to within the file, flags,
matching on re-import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from valuetracker.models import Stakeholder

from .factories_imports import write_csv
from .test_imports_cli import count, run

HEADER = ["Account", "Name", "Email", "Buying Role", "Influence", "Is Key", "Reports To",
          "Opted Out", "Left Company", "External ID"]


def people(session: Any, account_id: int) -> dict[str, Stakeholder]:
    session.expire_all()
    rows = session.exec(select(Stakeholder).where(Stakeholder.account_id == account_id)).all()
    return {s.name: s for s in rows}


def test_stakeholders_import_with_reports_to_in_the_same_file(runner: Any, session: Any,
                                                              cast: Any, tmp_path: Path) -> None:
    cast.account1.external_id = "ACC-1"
    session.add(cast.account1)
    session.commit()
    path = write_csv(tmp_path / "s.csv", HEADER, [
        # Reports to a row further down the file, and to a stakeholder already known.
        ["ACC-1", "Eve Engineer", "eve@acme.example", "Technical Evaluator", "2", "no",
         "fay@acme.example", "", "", "P-1"],
        ["Acme Corp", "Fay Finance", "fay@acme.example", "Economic Buyer", "5", "yes",
         "Carol Buyer", "yes", "2026-01-15", "P-2"],
    ])
    result = run(runner, "stakeholders", path)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    found = people(session, cast.account1.id)
    eve, fay = found["Eve Engineer"], found["Fay Finance"]
    assert (eve.buying_role, eve.influence, eve.is_key) == ("technical_evaluator", 2, False)
    assert eve.reports_to_id == fay.id and fay.reports_to_id == cast.stakeholder1.id
    assert fay.opted_out_at is not None and fay.left_company_at.date().isoformat() == "2026-01-15"
    assert eve.opted_out_at is None

    # Re-import: matched by external id, nothing changes; then a change bumps the version.
    result = run(runner, "stakeholders", path)
    assert "0 created, 0 updated, 2 unchanged" in result.output, result.output
    write_csv(path, HEADER, [["ACC-1", "Eve Engineer", "eve@acme.example", "champion", "2",
                              "no", "", "", "", "P-1"]])
    assert "1 updated" in run(runner, "stakeholders", path).output
    eve = people(session, cast.account1.id)["Eve Engineer"]
    assert (eve.buying_role, eve.reports_to_id, eve.version) == ("champion", None, 2)
    assert count(session, Stakeholder) == 4


def test_match_by_email_then_name_within_the_account(runner: Any, session: Any, cast: Any,
                                                     tmp_path: Path) -> None:
    email = cast.stakeholder1.email
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "sentiment"], [
        ["Acme Corp", "Carol B. Buyer", email, "Advocate"],
        ["Globex", "Dan Champion", "", "skeptic"],
    ])
    result = run(runner, "stakeholders", path)
    assert "0 created, 2 updated" in result.output, result.output
    session.expire_all()
    carol = session.get(Stakeholder, cast.stakeholder1.id)
    assert (carol.name, carol.sentiment, carol.version) == ("Carol B. Buyer", "advocate", 2)
    assert session.get(Stakeholder, cast.stakeholder2.id).sentiment == "skeptic"


def test_row_errors(runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "influence",
                                          "reports_to", "is_key"], [
        ["Nope Inc", "A", "", "3", "", ""],
        ["Acme Corp", "B", "b@x.example", "9", "", ""],
        ["Acme Corp", "C", "c@x.example", "3", "Nobody", "maybe"],
        ["Acme Corp", "D", "d@x.example", "3", "d@x.example", ""],
        ["Acme Corp", "E", "D@x.example", "3", "", ""],
    ])
    result = run(runner, "stakeholders", path)
    assert result.exit_code == 1
    out = result.output
    assert 'row 2, column account: no account named or with external id "Nope Inc"' in out
    assert "row 3, column influence: must be between 1 and 5" in out
    assert 'row 4, column is_key: "maybe" is not yes/no' in out
    assert "row 5, column reports_to: a stakeholder cannot report to themselves" in out
    assert "row 6, column email: duplicate email (also on row 5)" in out
    assert count(session, Stakeholder) == 2


def test_reports_to_a_rejected_row_is_rejected_too(runner: Any, session: Any, cast: Any,
                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "reports_to"], [
        ["Acme Corp", "Boss", "boss@x.example", "Ghost"],
        ["Acme Corp", "Worker", "w@x.example", "boss@x.example"],
        ["Acme Corp", "Fine", "f@x.example", ""],
    ])
    result = run(runner, "stakeholders", path, "--skip-invalid")
    assert "1 created" in result.output and "2 rejected" in result.output, result.output
    assert 'row 3, column reports_to: no stakeholder "boss@x.example"' in result.output
    assert set(people(session, cast.account1.id)) == {"Carol Buyer", "Fine"}


def test_ten_thousand_stakeholders_with_a_bounded_number_of_queries(
        app: Any, runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    import sqlalchemy as sa

    rows = [["Acme Corp" if i % 2 else "Globex", f"P {i}", f"p{i}@c.example", "",
             f"p{i - 2}@c.example" if i >= 2 else "", f"S-{i}"] for i in range(10_000)]
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "sentiment",
                                          "reports_to", "external_id"], rows)
    statements: list[str] = []

    def count_statement(*args: Any) -> None:
        statements.append(args[2])

    engine = app.extensions["valuetracker.engine"]
    sa.event.listen(engine, "before_cursor_execute", count_statement)
    try:
        result = run(runner, "stakeholders", path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_statement)
    assert result.exit_code == 0, result.output
    assert "10000 created" in result.output
    # Bulk lookups and batched writes: nothing proportional to the number of rows.
    # (SQLAlchemy runs an ordered INSERT ... RETURNING row by row on SQLite, in-process
    # and cheap, as add_all would; PostgreSQL gets it in batches.)
    if engine.dialect.name == "sqlite":
        statements = [s for s in statements if not s.startswith("INSERT")]
    assert len(statements) < 60, len(statements)
    found = people(session, cast.account1.id)
    assert found["P 9999"].reports_to_id == found["P 9997"].id
    assert found["P 1"].reports_to_id is None
    assert "0 created, 0 updated, 10000 unchanged" in run(runner, "stakeholders", path).output
