"""Input that gave a 500 (issue 14): each case is a field error or a clear 400, and nothing
is written. Money (sNaN, NaN, Infinity, 1e309, 24 digits), a blank " " in an optional
select, line breaks that would reach a mail header, NUL bytes, an upload over the size
limit while signed in, and imports that skipped the forms' limits.
"""

from __future__ import annotations

import email
import email.policy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import select

from valuetracker import mail
from valuetracker.imports.reading import ImportStop, read_table
from valuetracker.links import create_link
from valuetracker.models import Account, metadata
from valuetracker.validation import check_date, one_line, parse_money

from .conftest import run_import
from .factories import make_deal, make_entry, make_factor, make_guide, make_interview

BAD_MONEY = ["sNaN", "NaN", "-sNaN", "Infinity", "-Infinity", "1e309", "9" * 24, "-5",
             "1.234", "0x10"]


def _counts(app: Flask) -> dict[str, int]:
    """Row counts of every table but the audit trail's reads."""
    with app.extensions["valuetracker.engine"].connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def _refused(app: Flask, client: Any, url: str, data: dict[str, Any], message: str) -> str:
    """POST `data`; the page comes back (200) with `message`, and nothing is written."""
    before = _counts(app)
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, (url, data, response.status_code)
    assert message in page, (url, data)
    assert _counts(app) == before
    return page


# --- 1. money ------------------------------------------------------------------------

@pytest.mark.parametrize("text", BAD_MONEY)
def test_parse_money_refuses_what_a_money_column_cannot_hold(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


@pytest.mark.parametrize("text, expected", [("12500", Decimal("12500")),
                                            (" 12.5 ", Decimal("12.5")),
                                            ("0", Decimal("0")),
                                            ("10000000000000", Decimal("10000000000000"))])
def test_parse_money_takes_plain_amounts(text: str, expected: Decimal) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["sNaN", "NaN", "Infinity", "1e309", "9" * 24])
def test_every_money_field_refuses_non_finite_and_huge_amounts(
        app: Flask, session: Any, cast: Any, login_as: Any, text: str) -> None:
    slug = cast.account1.slug
    entry = make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    make_factor(session, "Price")
    session.commit()
    am1, analyst = login_as(cast.am1), login_as(cast.analyst)
    message = "Enter a"  # "Enter a number…" or "Enter an amount of 0 or more…"
    account = {"name": "Initech", "tier": "standard", "status": "active", "owner_id": ""}
    _refused(app, am1, "/accounts/new", {**account, "annual_revenue": text}, message)
    _refused(app, am1, "/accounts/new", {**account, "cost_to_serve": text}, message)
    _refused(app, am1, f"/accounts/{slug}/value/entries/new", {
        "title": "T", "driver": "productivity", "amount": text, "unit": "currency",
        "delivered_on": "2026-10-15", "evidence_status": "claimed"}, message)
    _refused(app, am1, f"/accounts/{slug}/value/commitments/new", {
        "title": "T", "driver": "productivity", "expected_amount": text, "unit": "currency",
        "due_on": "2026-12-31", "status": "planned"}, message)
    _refused(app, am1, f"/accounts/{slug}/value/entries/{entry.id}/confirmation", {
        "stakeholder_id": str(cast.stakeholder1.id), "response": "adjusted",
        "adjusted_amount": text}, message)
    _refused(app, analyst, "/deals/new", {"name": "Big", "account_id": str(cast.account1.id),
                                          "outcome": "open", "owner_id": "",
                                          "amount": text}, message)
    _refused(app, analyst, "/rules", {"name": "Big ones", "outcome": "", "min_amount": text},
             message)


@pytest.mark.parametrize("text", ["sNaN", "Infinity", "1e309"])
def test_the_public_confirm_page_refuses_a_non_finite_amount(
        app: Flask, session: Any, cast: Any, client: Any, text: str) -> None:
    entry = make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    with app.app_context():
        _link, token = create_link(session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
                                   account_id=cast.account1.id,
                                   payload={"entry_ids": [entry.id]})
    session.commit()
    _refused(app, client, f"/l/confirm/{token}", {
        "answers-0-entry_id": str(entry.id), "answers-0-response": "adjusted",
        "answers-0-adjusted_amount": text}, "Enter a")


# --- 2. a blank " " in an optional select --------------------------------------------

def _program(session: Any, cast: Any) -> dict[str, Any]:
    factor = make_factor(session, "Price")
    guide = make_guide(session, factor=factor)
    deal = make_deal(session, cast.account1, outcome="won", owner_id=cast.am1.id)
    interview = make_interview(session, deal, cast.stakeholder1, status="scheduled")
    questions = session.exec(sa.text(
        "SELECT id, kind FROM guide_question WHERE guide_id = :g ORDER BY position"),
        params={"g": guide.id}).all()
    session.commit()
    return {"factor": factor, "guide": guide, "deal": deal, "interview": interview,
            "rating": next(q for q, kind in questions if kind == "rating"),
            "question": questions[0][0]}


def test_a_blank_in_the_public_survey_select_is_no_500(app: Flask, session: Any, cast: Any,
                                                       client: Any) -> None:
    program = _program(session, cast)
    with app.app_context():
        _link, token = create_link(session, "buyer_survey", deal_id=program["deal"].id,
                                   account_id=cast.account1.id,
                                   stakeholder_id=cast.stakeholder1.id)
    session.commit()
    for name in (f"q_{program['rating']}", "primary_reason_id"):
        _refused(app, client, f"/s/{token}", {name: "   "}, "Not a valid choice")


def test_a_blank_in_the_interview_and_question_selects_is_no_500(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    program = _program(session, cast)
    analyst = login_as(cast.analyst)
    url = f"/interviews/{program['interview'].id}/record"
    base = {"stakeholder_id": str(cast.stakeholder1.id), "anonymity": "named",
            "status": "scheduled", "channel": "", "primary_reason_id": ""}
    for name in (f"q_{program['rating']}", "primary_reason_id", "quote_factor_1"):
        _refused(app, analyst, url, {**base, name: " "}, "Not a valid choice")
    # The ratings table shows no per-cell message; the form is refused all the same.
    _refused(app, analyst, url, {**base, f"r_{program['factor'].id}": " "}, "Price")
    _refused(app, analyst, f"/guides/questions/{program['question']}/edit",
             {"text": "Why?", "kind": "text", "factor_id": " "}, "Not a valid choice")
    _refused(app, analyst, f"/guides/{program['guide'].id}",
             {"text": "Why?", "kind": "text", "factor_id": "\t"}, "Not a valid choice")


# --- 3. line breaks never reach a mail header ----------------------------------------

@pytest.mark.parametrize("name", ["Acme\r\nBcc: evil@example.com", "Acme\nCorp", "Acme\rCorp",
                                  "Acme\u2028Corp"])
def test_single_line_fields_refuse_line_breaks(app: Flask, session: Any, cast: Any,
                                               login_as: Any, name: str) -> None:
    am1 = login_as(cast.am1)
    message = "Use a single line"
    _refused(app, am1, "/accounts/new", {"name": name, "tier": "standard", "status": "active",
                                         "owner_id": ""}, message)
    _refused(app, am1, f"/accounts/{cast.account1.slug}/stakeholders/new", {
        "name": name, "buying_role": "other", "influence": "3", "sentiment": "neutral",
        "reports_to_id": ""}, message)
    _refused(app, am1, f"/accounts/{cast.account1.slug}/stakeholders/new", {
        "name": "Eve", "title": name, "buying_role": "other", "influence": "3",
        "sentiment": "neutral", "reports_to_id": ""}, message)


def test_mail_folds_line_breaks_out_of_every_header(app: Flask) -> None:
    message = mail.Message(to="Carol\r\nBcc: evil@example.com <carol@example.com>",
                           subject="Your value summary 2026-Q3 — Acme\r\nBcc: evil@example.com",
                           body="Hello", reply_to="Alice\nManager <am1@example.com>")
    with app.app_context():
        built = mail.build(message)
    raw = bytes(built)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert str(parsed["Subject"]) == "Your value summary 2026-Q3 — Acme Bcc: evil@example.com"
    assert "\n" not in str(parsed["Reply-To"]) and "am1@example.com" in str(parsed["Reply-To"])
    assert one_line("a\r\n\x00b\u2029c") == "a b c"


def test_an_account_name_with_a_line_break_in_old_data_still_mails(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    """A name stored before the forms refused line breaks (or by an older import): the
    confirmation link is sent; the subject is one line."""
    cast.account1.name = "Acme\r\nBcc: evil@example.com"
    cast.stakeholder1.email = "carol@example.com"
    session.add_all([cast.account1, cast.stakeholder1])
    make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    session.commit()
    response = login_as(cast.am1).post(f"/accounts/{cast.account1.slug}/value/links/new", data={
        "stakeholder_id": str(cast.stakeholder1.id), "purpose": "confirm_value",
        "scope": "recent"})
    assert "Link emailed to Carol Buyer" in response.get_data(as_text=True)
    (sent,) = Path(app.config["OUTBOX_DIR"]).glob("*.eml")
    parsed = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and "\n" not in str(parsed["Subject"])
    assert "Acme Bcc: evil@example.com" in str(parsed["Subject"])


# --- 4. NUL bytes --------------------------------------------------------------------

def test_a_nul_in_a_form_or_query_string_is_a_clear_400(app: Flask, cast: Any,
                                                       login_as: Any) -> None:
    am1 = login_as(cast.am1)
    before = _counts(app)
    for response in (
        am1.get("/accounts?q=Acme%00"),
        am1.get("/accounts?%00=1"),
        am1.get(f"/accounts/{cast.account1.slug}%00"),
        am1.post("/accounts/new", data={"name": "Ini\x00tech", "tier": "standard",
                                        "status": "active", "owner_id": ""}),
        am1.post(f"/accounts/{cast.account1.slug}/stakeholders/new",
                 data={"name": "Eve", "notes": "a\x00b", "buying_role": "other"}),
    ):
        assert response.status_code == 400
        assert "NUL character" in response.get_data(as_text=True)
    assert _counts(app) == before


# --- 5. an upload over the size limit while signed in --------------------------------

@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    app_config.update(MAX_CONTENT_LENGTH=64 * 1024, UPLOAD_DIR=str(tmp_path / "uploads"))
    return app_config


@pytest.mark.parametrize("csrf", [False, True])
def test_an_oversized_upload_while_signed_in_gets_the_413_page(
        app: Flask, app_config: dict[str, Any], cast: Any, csrf: bool) -> None:
    """A real multipart POST over MAX_CONTENT_LENGTH from a signed-in client, with CSRF
    protection off (the test settings) and on (production: it reads the form first)."""
    import io

    from valuetracker import create_app

    from .conftest import login

    real = create_app(dict(app_config, WTF_CSRF_ENABLED=csrf))
    client = login(real.test_client(), cast.am1)
    big = b"name\n" + b"Initech,SMB\n" * 20_000  # 240 kB, over the 64 kB limit
    response = client.post("/import/", data={"kind": "accounts", "csrf_token": "x",
                                             "file": (io.BytesIO(big), "accounts.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Too large" in page and "Sign out" in page  # the signed-in page, in full
    real.extensions["valuetracker.engine"].dispose()


# --- 6. imports apply the forms' limits ----------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("cell, column", [
    ("-5", "annual_revenue"), ("(1,000)", "annual_revenue"), ("9" * 24, "cost_to_serve"),
    ("0001-01-01", "renewal_date"), ("9999-12-31", "renewal_date"),
])
def test_account_import_refuses_what_the_form_refuses(
        runner: Any, session: Any, cast: Any, tmp_path: Path, cell: str, column: str) -> None:
    path = _write(tmp_path, f"name,{column}\nGood Co,\nInitech,{cell}\n")
    before = session.exec(select(sa.func.count()).select_from(Account)).one()
    result = run_import(runner, "accounts", path)
    assert result.exit_code != 0
    assert f"row 3, column {column}" in result.output, result.output
    session.expire_all()
    assert session.exec(select(sa.func.count()).select_from(Account)).one() == before


def test_value_and_deal_imports_refuse_negative_and_huge_amounts(
        runner: Any, cast: Any, tmp_path: Path) -> None:
    value = tmp_path / "value.csv"
    value.write_text("account,title,driver,amount,delivered_on\n"
                     "Acme Corp,Saved,cost_reduction,(500),2026-03-31\n", encoding="utf-8")
    result = run_import(runner, "value", value)
    assert result.exit_code != 0 and "row 2, column amount" in result.output, result.output
    deals = tmp_path / "deals.csv"
    deals.write_text("external_id,account,name,amount,outcome,closed_on\n"
                     f"D-1,Acme Corp,Big,{'1' * 24},won,2026-03-31\n", encoding="utf-8")
    result = run_import(runner, "deals", deals)
    assert result.exit_code != 0 and "row 2, column amount" in result.output, result.output


def test_an_unterminated_quote_stops_the_import_naming_the_line(
        runner: Any, session: Any, cast: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, 'name,segment\nInitech,SMB\n"Umbrella,Enterprise\nHooli,SMB\n'
                            'Vandelay,SMB\n')
    result = run_import(runner, "accounts", path)
    assert result.exit_code != 0
    assert "line 3" in result.output and "never closed" in result.output, result.output
    session.expire_all()
    assert session.exec(select(Account.name).where(Account.name == "Initech")).first() is None
    with pytest.raises(ImportStop, match="NUL character on line 2"):
        read_table(b"name\nIni\x00tech\n")


def test_one_date_rule_for_forms_and_imports() -> None:
    assert check_date(date(2026, 3, 31)) == date(2026, 3, 31)
    for bad in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValueError, match="between 1900 and 2199"):
            check_date(bad)


def test_a_year_1_date_in_a_form_is_a_field_error(app: Flask, cast: Any,
                                                  login_as: Any) -> None:
    _refused(app, login_as(cast.am1), "/accounts/new", {
        "name": "Initech", "tier": "standard", "status": "active", "owner_id": "",
        "renewal_date": "0001-01-01"}, "Enter a date between 1900 and 2199")
