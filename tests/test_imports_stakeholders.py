"""Importing stakeholders: account references, reports-to within the file, flags,
matching on re-import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from valuetracker.imports import run_import as run_import_now
from valuetracker.models import LoyaltyPulse, Stakeholder, ValueEntryBeneficiary

from .conftest import count_rows, run_import, sql_statements
from .factories import make_entry, make_pulse, make_stakeholder
from .factories.csv_files import csv_bytes, write_csv

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
    result = run_import(runner, "stakeholders", path)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    found = people(session, cast.account1.id)
    eve, fay = found["Eve Engineer"], found["Fay Finance"]
    assert (eve.buying_role, eve.influence, eve.is_key) == ("technical_evaluator", 2, False)
    assert eve.reports_to_id == fay.id and fay.reports_to_id == cast.stakeholder1.id
    assert fay.opted_out_at is not None and fay.left_company_at.date().isoformat() == "2026-01-15"
    assert eve.opted_out_at is None

    # Re-import: matched by external id, nothing changes; then a change bumps the version.
    result = run_import(runner, "stakeholders", path)
    assert "0 created, 0 updated, 2 unchanged" in result.output, result.output
    write_csv(path, HEADER, [["ACC-1", "Eve Engineer", "eve@acme.example", "champion", "2",
                              "no", "", "", "", "P-1"]])
    assert "1 updated" in run_import(runner, "stakeholders", path).output
    eve = people(session, cast.account1.id)["Eve Engineer"]
    assert (eve.buying_role, eve.reports_to_id, eve.version) == ("champion", None, 2)
    assert count_rows(session, Stakeholder) == 4


def test_match_by_email_then_name_within_the_account(runner: Any, session: Any, cast: Any,
                                                     tmp_path: Path) -> None:
    email = cast.stakeholder1.email
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "sentiment"], [
        ["Acme Corp", "Carol B. Buyer", email, "Advocate"],
        ["Globex", "Dan Champion", "", "skeptic"],
    ])
    result = run_import(runner, "stakeholders", path)
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
    result = run_import(runner, "stakeholders", path)
    assert result.exit_code == 1
    out = result.output
    assert 'row 2, column account: no account named or with external id "Nope Inc"' in out
    assert "row 3, column influence: must be between 1 and 5" in out
    assert 'row 4, column is_key: "maybe" is not yes/no' in out
    assert "row 5, column reports_to: a stakeholder cannot report to themselves" in out
    assert "row 6, column email: duplicate email (also on row 5)" in out
    assert count_rows(session, Stakeholder) == 2


def test_reports_to_a_rejected_row_is_rejected_too(runner: Any, session: Any, cast: Any,
                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "reports_to"], [
        ["Acme Corp", "Boss", "boss@x.example", "Ghost"],
        ["Acme Corp", "Worker", "w@x.example", "boss@x.example"],
        ["Acme Corp", "Fine", "f@x.example", ""],
    ])
    result = run_import(runner, "stakeholders", path, "--skip-invalid")
    assert "1 created" in result.output and "2 rejected" in result.output, result.output
    assert 'row 3, column reports_to: no stakeholder "boss@x.example"' in result.output
    assert set(people(session, cast.account1.id)) == {"Carol Buyer", "Fine"}


def test_ten_thousand_stakeholders_with_a_bounded_number_of_queries(
        app: Any, runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    rows = [["Acme Corp" if i % 2 else "Globex", f"P {i}", f"p{i}@c.example", "",
             f"p{i - 2}@c.example" if i >= 2 else "", f"S-{i}"] for i in range(10_000)]
    path = write_csv(tmp_path / "s.csv", ["account", "name", "email", "sentiment",
                                          "reports_to", "external_id"], rows)
    engine = app.extensions["valuetracker.engine"]
    with sql_statements(engine) as statements:
        result = run_import(runner, "stakeholders", path)
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
    result = run_import(runner, "stakeholders", path)
    assert "0 created, 0 updated, 10000 unchanged" in result.output


def _crm_person(session: Any, cast: Any) -> Stakeholder:
    """Dan at Globex (am2's account) carries the CRM id P-77, with a pulse and an entry
    naming him as beneficiary."""
    dan = cast.stakeholder2
    dan.external_id = "P-77"
    session.add(dan)
    make_pulse(session, dan)
    make_entry(session, cast.account2, "900", beneficiaries=(dan,))
    session.commit()
    return dan


def _dan_stays(session: Any, cast: Any, dan: Stakeholder) -> None:
    session.expire_all()
    dan = session.get(Stakeholder, dan.id)
    assert (dan.account_id, dan.name, dan.version) == (cast.account2.id, "Dan Champion", 1)
    assert {p.account_id for p in session.exec(select(LoyaltyPulse)).all()} == {
        cast.account2.id}
    assert session.exec(select(ValueEntryBeneficiary.stakeholder_id)).all() == [dan.id]


def test_an_external_id_of_another_account_is_a_row_error_not_a_move(
        runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    dan = _crm_person(session, cast)
    path = write_csv(tmp_path / "s.csv", HEADER, [
        ["Acme Corp", "Dan Moved", "dan@acme.example", "", "", "", "", "", "", "P-77"]])
    result = run_import(runner, "stakeholders", path)
    assert result.exit_code != 0
    assert 'external id "P-77" belongs to Dan Champion of another account' in result.output
    assert "does not move people between accounts" in result.output
    _dan_stays(session, cast, dan)
    assert count_rows(session, Stakeholder) == 2


def test_external_ids_match_within_the_rows_account(runner: Any, session: Any, cast: Any,
                                                     tmp_path: Path) -> None:
    """The same CRM id at two accounts is two people; each row updates its own."""
    carol, dan = cast.stakeholder1, cast.stakeholder2
    carol.external_id = dan.external_id = "P-1"
    session.add_all([carol, dan])
    session.commit()
    path = write_csv(tmp_path / "s.csv", HEADER, [
        ["Globex", "Dan Champion", "", "influencer", "", "", "", "", "", "P-1"],
        ["Acme Corp", "Carol Buyer", "", "champion", "", "", "", "", "", "P-1"]])
    result = run_import(runner, "stakeholders", path)
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated" in result.output
    session.expire_all()
    assert session.get(Stakeholder, carol.id).buying_role == "champion"
    assert session.get(Stakeholder, dan.id).buying_role == "influencer"


def test_one_account_cannot_hold_an_external_id_twice(session: Any, cast: Any) -> None:
    cast.stakeholder1.external_id = "P-9"
    session.add(cast.stakeholder1)
    session.commit()
    make_stakeholder(session, cast.account2, "Elsewhere", external_id="P-9")  # allowed
    session.commit()
    with pytest.raises(IntegrityError):
        make_stakeholder(session, cast.account1, "Twin", external_id="P-9")
    session.rollback()


def _wizard_errors(app: Any, session: Any, user: Any, content: bytes) -> list[str]:
    with app.test_request_context():
        report = run_import_now(session, "stakeholders", content, actor=user)
    session.rollback()
    return [f"{e.column}: {e.reason}" for e in report.errors]


def test_to_an_account_manager_other_accounts_do_not_exist(app: Any, session: Any,
                                                           cast: Any) -> None:
    """A row naming an account am1 cannot see reads like a row naming none, and an
    external id of a person they cannot see matches nothing: no error tells it apart."""
    dan = _crm_person(session, cast)
    cast.account2.external_id = "ACC-2"
    session.add(cast.account2)
    session.commit()
    header = ["account", "name", "external_id"]
    errors = {ref: _wizard_errors(app, session, cast.am1, csv_bytes(header, [[ref, "X", ""]]))
              for ref in ("Globex", "ACC-2", "Nope Inc")}
    assert errors["Nope Inc"] == ['account: no account named or with external id "Nope Inc"']
    for ref in ("Globex", "ACC-2"):
        assert errors[ref] == [errors["Nope Inc"][0].replace("Nope Inc", ref)]

    # Dan's CRM id at am1's own account: no hint that it exists elsewhere, and no move.
    for external in ("P-77", "P-NEVER-USED"):
        content = csv_bytes(header, [["Acme Corp", "Dan Namesake", external]])
        assert _wizard_errors(app, session, cast.am1, content) == []
    with app.test_request_context():
        report = run_import_now(session, "stakeholders",
                                csv_bytes(header, [["Acme Corp", "Dan Namesake", "P-77"]]),
                                actor=cast.am1)
    assert report.written and report.created == 1
    session.commit()
    _dan_stays(session, cast, dan)
    namesake = session.exec(select(Stakeholder).where(Stakeholder.name == "Dan Namesake")).one()
    assert (namesake.account_id, namesake.external_id) == (cast.account1.id, "P-77")
    # The admin sees both accounts: for them such a row is the cross-account error.
    make_stakeholder(session, cast.account2, "Gil Globex", external_id="P-88")
    session.commit()
    row = csv_bytes(header, [["Acme Corp", "Gil Moved", "P-88"]])
    assert _wizard_errors(app, session, cast.am1, row) == []
    errors = _wizard_errors(app, session, cast.admin, row)
    assert errors == ['external_id: external id "P-88" belongs to Gil Globex of another '
                      "account; an import does not move people between accounts (change "
                      "the account in the file, or the person's external id)"]


def test_a_reimport_never_opts_a_person_back_in(runner: Any, session: Any, cast: Any,
                                                tmp_path: Path) -> None:
    """An empty cell keeps what is recorded, and `no` withdraws a departure but never an
    opt-out: a CRM export that does not track opt-outs must not put people back on the list."""
    path = write_csv(tmp_path / "s.csv", HEADER, [
        ["Acme Corp", "Fay Finance", "fay@acme.example", "Economic Buyer", "5", "yes", "",
         "2026-02-01", "2026-01-15", "P-2"],
    ])
    assert run_import(runner, "stakeholders", path).exit_code == 0
    fay = people(session, cast.account1.id)["Fay Finance"]
    opted, left = fay.opted_out_at, fay.left_company_at
    assert opted is not None and left is not None

    write_csv(path, HEADER, [["Acme Corp", "Fay Finance", "fay@acme.example", "Economic Buyer",
                              "5", "yes", "", "", "", "P-2"]])
    result = run_import(runner, "stakeholders", path)
    assert "1 unchanged" in result.output, result.output
    fay = people(session, cast.account1.id)["Fay Finance"]
    assert (fay.opted_out_at, fay.left_company_at) == (opted, left)

    write_csv(path, HEADER, [["Acme Corp", "Fay Finance", "fay@acme.example", "Economic Buyer",
                              "5", "yes", "", "no", "no", "P-2"]])
    result = run_import(runner, "stakeholders", path)
    assert "1 updated" in result.output, result.output
    fay = people(session, cast.account1.id)["Fay Finance"]
    assert fay.opted_out_at == opted  # still opted out
    assert fay.left_company_at is None  # back at the company
