"""Import presets (Salesforce, HubSpot) on the command line, and owners kept by name:
reps who are no users of the app are imported as written and grouped by in reports."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from valuetracker.imports import ImportStop
from valuetracker.models import Account, AuditEvent, Deal, Stakeholder

from .conftest import count_rows, run_import
from .factories.csv_files import crm_sample, write_csv


def _deals(session: Any) -> dict[str, Deal]:
    session.expire_all()
    return {d.external_id: d for d in session.exec(select(Deal)).all()}


def _accounts(session: Any) -> dict[str, Account]:
    session.expire_all()
    return {a.name: a for a in session.exec(select(Account)).all()}


def _winloss_by_owner(runner: Any) -> dict[str, tuple[int, int]]:
    result = runner.invoke(args=["winloss", "report", "--by", "owner", "--format", "json"])
    assert result.exit_code == 0, result.output
    return {r["group"]: (r["won"], r["lost"]) for r in json.loads(result.output)}


def test_salesforce_opportunities(runner: Any, session: Any, cast: Any) -> None:
    result = run_import(runner, "deals", crm_sample("salesforce", "deals"),
                        "--preset", "salesforce")
    assert result.exit_code == 0, result.output
    assert "6 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert ("Preset Salesforce: Opportunity Owner → owner, Account Name → account, "
            "Opportunity Name → name, Stage → outcome, Amount → amount, "
            "Probability (%) → ignore, Close Date → closed_on, Created Date → opened_on, "
            "Type → ignore, Lead Source → ignore, Opportunity ID → external_id, "
            "Fiscal Period → ignore, Next Step → ignore.") in result.output
    assert "Ignored unknown columns" not in result.output
    deals = _deals(session)
    won = deals["0065g00000AbCdEAAV"]
    assert (won.name, won.account_id, won.outcome, won.amount) == (
        "Acme - Platform renewal", cast.account1.id, "won", Decimal("125000.00"))
    assert (won.closed_on, won.opened_on) == (date(2026, 3, 31), date(2026, 1, 15))
    assert (won.owner_id, won.owner_name) == (cast.am1.id, None)  # a user: matched
    # Month-first dates with a time; "Id. Decision Makers" is an open stage.
    late = deals["0065g00000AbCdHAAV"]
    assert (late.closed_on, late.opened_on, late.outcome) == (
        date(2026, 6, 30), date(2026, 3, 1), "lost")
    assert deals["0065g00000AbCdIAAV"].outcome == "open"
    # Reps who are no users are kept as written.
    assert {(d.owner_id, d.owner_name) for d in deals.values() if d.owner_id is None} == {
        (None, "Dana Sales"), (None, "Raj Patel")}
    assert deals["0065g00000AbCdJAAV"].owner_id == cast.analyst.id
    assert _winloss_by_owner(runner) == {"Alice Manager": (1, 0), "Dana Sales": (1, 1),
                                         "Raj Patel": (0, 1)}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.details["preset"] == "salesforce"
    again = run_import(runner, "deals", crm_sample("salesforce", "deals"), "--preset", "salesforce")
    assert "0 created, 0 updated, 6 unchanged" in again.output


def test_salesforce_accounts_then_contacts(runner: Any, session: Any, cast: Any) -> None:
    result = run_import(runner, "accounts", crm_sample("salesforce", "accounts"),
                        "--preset", "Salesforce")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    accounts = _accounts(session)
    initech = accounts["Initech"]
    assert (initech.external_id, initech.industry, initech.annual_revenue) == (
        "0015g00000XyZaBAAV", "Technology", Decimal("2500000.00"))
    assert (initech.owner_id, initech.owner_name) == (None, "Dana Sales")
    assert (accounts["Umbrella Corporation"].owner_id,
            accounts["Umbrella Corporation"].owner_name) == (cast.am1.id, None)
    assert (accounts["Hooli"].owner_id, accounts["Hooli"].owner_name) == (None, None)

    result = run_import(runner, "stakeholders", crm_sample("salesforce", "stakeholders"),
                        "--preset", "salesforce")
    assert result.exit_code == 0, result.output
    assert "First Name → ignore" in result.output
    assert "First Name + Last Name → name" in result.output
    session.expire_all()
    people = {s.name: s for s in session.exec(select(Stakeholder)).all()}
    grace, alan = people["Grace Hopper"], people["Alan Turing"]
    assert (grace.account_id, grace.title, grace.email, grace.external_id) == (
        cast.account1.id, "VP Engineering", "grace.hopper@acme.example", "0035g00000QwErTAAV")
    assert alan.reports_to_id == grace.id
    assert alan.opted_out_at is not None and grace.opted_out_at is None
    assert people["Ada Lovelace"].account_id == cast.account2.id


def test_hubspot_companies_contacts_and_deals(runner: Any, session: Any, cast: Any) -> None:
    result = run_import(runner, "accounts", crm_sample("hubspot", "accounts"),
                        "--preset", "hubspot")
    assert result.exit_code == 0, result.output
    accounts = _accounts(session)
    # Lifecycle stages: customers are active, the others prospects.
    assert {n: a.status for n, a in accounts.items() if n in ("Initech", "Umbrella Corporation",
                                                              "Hooli")} == {
        "Initech": "active", "Umbrella Corporation": "prospect", "Hooli": "prospect"}
    assert accounts["Initech"].owner_name == "Dana Sales"
    assert accounts["Umbrella Corporation"].owner_id == cast.am1.id  # "alice manager"
    assert accounts["Initech"].external_id == "5550001001"

    result = run_import(runner, "stakeholders", crm_sample("hubspot", "stakeholders"),
                        "--preset", "hubspot")
    assert result.exit_code == 0, result.output
    session.expire_all()
    people = {s.name: s for s in session.exec(select(Stakeholder)).all()}
    assert people["Grace Hopper"].title == "VP Engineering"
    assert people["Grace Hopper"].phone == "+1 212 555 0101"
    assert people["Alan Turing"].opted_out_at is not None
    assert people["Ada Lovelace"].account_id == accounts["Umbrella Corporation"].id

    result = run_import(runner, "deals", crm_sample("hubspot", "deals"), "--preset", "hubspot")
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    deals = _deals(session)
    first = deals["9876543201"]
    assert (first.name, first.outcome, first.closed_on, first.opened_on) == (
        "Initech – Platform", "won", date(2026, 3, 31), date(2026, 1, 15))
    assert first.account_id == accounts["Initech"].id
    assert deals["9876543202"].amount == Decimal("48500.50")
    assert deals["9876543203"].outcome == "won"  # "closedwon", HubSpot's internal value
    assert {deals[k].outcome for k in ("9876543204", "9876543205")} == {"open"}
    # "dana sales" is the rep kept as "Dana Sales" on the row above: one owner.
    assert {deals[k].owner_name for k in ("9876543201", "9876543203")} == {"Dana Sales"}
    assert deals["9876543204"].owner_id == cast.admin.id
    assert _winloss_by_owner(runner) == {"Dana Sales": (2, 0), "Raj Patel": (0, 1)}


def test_map_overrides_the_preset(runner: Any, session: Any, cast: Any,
                                  tmp_path: Path) -> None:
    result = run_import(runner, "deals", crm_sample("salesforce", "deals"),
                        "--preset", "salesforce", "--map", "Type=product",
                        "--map", "Created Date=ignore", "--map", "Opportunity Owner=ignore")
    assert result.exit_code == 0, result.output
    deal = _deals(session)["0065g00000AbCdEAAV"]
    assert (deal.product, deal.opened_on, deal.owner_id, deal.owner_name) == (
        "Existing Business", None, None, None)
    # An explicit date format wins over the preset's.
    path = write_csv(tmp_path / "eu.csv",
                     ["Opportunity ID", "Stage", "Close Date", "Account Name"],
                     [["EU-1", "Closed Won", "03/04/2026", "Acme Corp"]])
    assert run_import(runner, "deals", path, "--preset", "salesforce",
                      "--date-format", "%d/%m/%Y").exit_code == 0
    assert _deals(session)["EU-1"].closed_on == date(2026, 4, 3)


def test_a_preset_keeps_imports_all_or_nothing(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sf.csv",
                     ["Opportunity ID", "Opportunity Name", "Account Name", "Stage", "Amount",
                      "Close Date", "Opportunity Owner"], [
        ["A-1", "Fine", "Acme Corp", "Closed Won", "$1,000.00", "01/31/2026", "Dana Sales"],
        ["A-2", "Bad amount", "Acme Corp", "Closed Lost", "lots", "01/31/2026", "Dana Sales"],
        ["A-3", "Bad date", "Acme Corp", "Closed Lost", "10", "31/01/2026", "Raj Patel"],
    ])
    result = run_import(runner, "deals", path, "--preset", "salesforce")
    assert result.exit_code == 1
    assert 'row 3, column Amount: "lots" is not an amount' in result.output
    assert 'row 4, column Close Date: "31/01/2026" is not a date' in result.output
    assert "nothing was imported" in result.output
    assert count_rows(session, Deal) == 0


def test_unknown_preset_or_kind_is_refused(runner: Any, session: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", ["account"], [["Acme Corp"]])
    result = run_import(runner, "value", path, "--preset", "hubspot")
    assert result.exit_code == 1
    assert "The HubSpot preset has no value (it reads deals, accounts, stakeholders)" \
        in result.output
    result = run_import(runner, "deals", path, "--preset", "pipedrive")
    assert result.exit_code != 0 and "pipedrive" in result.output


def test_a_crm_sales_agent_column_imports_keeping_the_reps(runner: Any, session: Any,
                                                           cast: Any, tmp_path: Path) -> None:
    """The export of issue 17: every row failed with "no user with email or name"."""
    reps = ["Darcel Schlecht", "Moses Frase", "Maureen Marcano", "Ann Analyst"]
    rows = [[f"OPP-{i}", reps[i % 4], "Acme Corp", "Won" if i % 3 else "Lost", "2026-05-01",
             str(1000 + i)] for i in range(40)]
    path = write_csv(tmp_path / "crm.csv", ["opportunity_id", "sales_agent", "account",
                                            "deal_stage", "close_date", "close_value"], rows)
    result = run_import(runner, "deals", path, "--map", "opportunity_id=external_id",
                        "--map", "sales_agent=owner", "--map", "deal_stage=outcome",
                        "--map", "close_date=closed_on", "--map", "close_value=amount")
    assert result.exit_code == 0, result.output
    assert "40 created" in result.output
    deals = _deals(session).values()
    assert {d.owner_name for d in deals if d.owner_id is None} == set(reps[:3])
    assert {d.owner_id for d in deals if d.owner_name is None} == {cast.analyst.id}
    by_owner = _winloss_by_owner(runner)
    assert set(by_owner) == set(reps)
    assert sum(won + lost for won, lost in by_owner.values()) == 40
    assert by_owner["Darcel Schlecht"] == (sum(1 for i in range(0, 40, 4) if i % 3),
                                           sum(1 for i in range(0, 40, 4) if not i % 3))
    # An empty owner cell clears both the user and the kept name.
    rows[0][1] = ""
    write_csv(path, ["opportunity_id", "sales_agent", "account", "deal_stage", "close_date",
                     "close_value"], rows)
    result = run_import(runner, "deals", path, "--map", "opportunity_id=external_id",
                        "--map", "sales_agent=owner", "--map", "deal_stage=outcome",
                        "--map", "close_date=closed_on", "--map", "close_value=amount")
    assert "1 updated, 39 unchanged" in result.output, result.output
    first = _deals(session)["OPP-0"]
    assert (first.owner_id, first.owner_name) == (None, None)


def test_an_account_managers_import_cannot_hand_accounts_to_a_rep(session: Any, cast: Any) -> None:
    from valuetracker.imports import run_import as import_rows

    from .factories.csv_files import csv_bytes

    data = csv_bytes(["name", "owner"], [["Mine", "Alice Manager"], ["Theirs", "Dana Sales"]])
    report = import_rows(session, "accounts", data, actor=cast.am1, dry_run=True)
    assert [str(e) for e in report.errors] == [
        "row 3, column owner: account managers can only import accounts they own"]
    both = csv_bytes(["name", "owner", "owner_email"], [["X", "Dana Sales", ""]])
    with pytest.raises(ImportStop, match="both give the account's owner"):
        import_rows(session, "accounts", both)
    session.rollback()


def test_a_full_name_column_is_read_as_it_is(runner: Any, session: Any, cast: Any,
                                             tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Full Name", "First Name", "Last Name",
                                          "Account Name"],
                     [["Grace B. Hopper", "Grace", "Hopper", "Acme Corp"]])
    result = run_import(runner, "stakeholders", path, "--preset", "salesforce")
    assert result.exit_code == 0, result.output
    assert "Full Name → name, First Name → ignore, Last Name → ignore" in result.output
    session.expire_all()
    assert "Grace B. Hopper" in set(session.exec(select(Stakeholder.name)).all())


def test_a_preset_never_makes_two_columns_feed_one_field() -> None:
    from valuetracker.imports.deals import FIELDS
    from valuetracker.imports.presets import get_preset, preset_mapping

    names = {f.name for f in FIELDS}
    hubspot = get_preset("hubspot", "deals")
    headers = ["Deal Name", "name", "Associated Company", "Company Name", "Deal Stage"]
    mapping = preset_mapping(hubspot, headers, names)
    # "name" feeds name by itself; the second company column is left out.
    assert mapping == {"deal_name": "ignore", "associated_company": "account",
                       "company_name": "ignore", "deal_stage": "outcome"}
    # The user's own mapping wins, and the preset's column for that field steps aside.
    mapping = preset_mapping(hubspot, headers, names, {"Company Name": "account"})
    assert (mapping["company_name"], mapping["associated_company"]) == ("account", "ignore")
