"""The CSV zip: the same tables as the workbook, read back with the csv module."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from sqlmodel import Session

from valuetracker.exports import SHEET_NAMES, build_quarter_export
from valuetracker.exports.csv_zip import csv_value
from valuetracker.exports.safety import csv_text, looks_like_formula
from valuetracker.quarters import parse_quarter

from .factories.scenarios import (
    ANONYMOUS_NAME,
    ANONYMOUS_TITLE,
    BLIND_STAKEHOLDER,
    HOSTILE,
    Q_END,
    Q_START,
    QUARTER,
    TODAY,
)

FILES = ["summary.csv", "value-delivered.csv", "commitments.csv", "stakeholder-coverage.csv",
         "deals.csv", "win-loss.csv", "reasons.csv", "loyalty.csv"]


def build(session: Session, tmp_path: Path, fmt: str, quarter: str = QUARTER) -> Path:
    path = tmp_path / f"review.{fmt}"
    build_quarter_export(session, quarter=parse_quarter(quarter), path=path, fmt=fmt,
                         today=TODAY)
    return path


def read_zip(path: Path) -> dict[str, list[dict[str, str]]]:
    tables = {}
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == FILES
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            tables[name] = list(csv.DictReader(io.StringIO(text, newline="")))
    return tables


def test_zip_holds_one_csv_per_sheet_with_same_rows_as_workbook(session, seeded, tmp_path):
    tables = read_zip(build(session, tmp_path, "csv"))
    wb = openpyxl.load_workbook(build(session, tmp_path, "xlsx"))
    for sheet, name in zip(SHEET_NAMES, FILES, strict=True):
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        assert list(tables[name][0].keys()) == header, sheet
        assert len(tables[name]) == ws.max_row - 1, sheet


def test_csv_totals_match_independent_queries(session, seeded, tmp_path):
    tables = read_zip(build(session, tmp_path, "csv"))
    params = {"s": Q_START, "e": Q_END}
    value_total = session.execute(sa.text(
        "SELECT sum(amount) FROM value_entry WHERE unit = 'currency' "
        "AND delivered_on BETWEEN :s AND :e"), params).scalar()
    rows = tables["value-delivered.csv"]
    assert sum(Decimal(r["Value (USD)"]) for r in rows if r["Value (USD)"]) == value_total
    deal_total = session.execute(sa.text(
        "SELECT sum(amount) FROM deal WHERE outcome IN ('won','lost','no_decision') "
        "AND closed_on BETWEEN :s AND :e"), params).scalar()
    assert sum(Decimal(r["Amount (USD)"]) for r in tables["deals.csv"]) == deal_total
    # the Summary's per-account quarter totals add up to the same figure
    summary = tables["summary.csv"]
    assert sum(Decimal(r["Value delivered 2026-Q3 (USD)"]) for r in summary) == value_total
    pulses = session.execute(sa.text(
        "SELECT count(*) FROM loyalty_pulse WHERE taken_on BETWEEN :s AND :e"), params).scalar()
    assert len(tables["loyalty.csv"]) == pulses
    assert rows[0]["Delivered on"] == "2026-07-10"  # ISO dates


def test_formula_looking_text_is_prefixed_and_numbers_are_not(session, seeded, tmp_path):
    rows = read_zip(build(session, tmp_path, "csv"))["value-delivered.csv"]
    titles = {r["Title"]: r for r in rows}
    for text in HOSTILE:
        row = titles["'" + text]
        assert row["Source"] == row["Description"] == "'" + text
    assert titles["'" + HOSTILE[0]]["Value (USD)"] == "-10.00"  # a number, not prefixed
    assert titles["Faster onboarding"]["Title"] == "Faster onboarding"  # plain text untouched
    deals = read_zip(build(session, tmp_path, "csv"))["deals.csv"]
    assert "'+Acme expansion" in {r["Deal"] for r in deals}


def test_safety_rule():
    for text in ("=1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert looks_like_formula(text) and csv_text(text) == "'" + text
    for text in ("1", "Plain", " =1", "a=b", ""):
        assert not looks_like_formula(text) and csv_text(text) == text
    assert csv_value(Decimal("-12.50")) == "-12.50"
    assert csv_value(-3) == "-3"
    assert csv_value(None) == ""
    # Numbers are rounded by their column's kind, as the workbook shows them.
    assert csv_value(Decimal("-33.33333333333333333333333333"), "score") == "-33.3"
    assert csv_value(Decimal("0.2924528301886792452830188679"), "percent") == "0.292"
    assert csv_value(0, "money") == csv_value(Decimal("0.00"), "money") == "0.00"
    assert csv_value(Decimal("-0.001"), "money") == "0.00"
    assert csv_value(7, "int") == "7"


def _places(number_format: str) -> int:
    """Decimal places a workbook number format shows (of the fraction, for a percent)."""
    positive = number_format.split(";")[0]
    digits = re.search(r"\.(0+)", positive)
    return (len(digits.group(1)) if digits else 0) + (2 if "%" in positive else 0)


def test_every_numeric_cell_of_the_csv_is_the_workbooks_displayed_figure(
        session, seeded, tmp_path):
    tables = read_zip(build(session, tmp_path, "csv"))
    wb = openpyxl.load_workbook(build(session, tmp_path, "xlsx"))
    seen: dict[int, int] = {}
    for sheet, name in zip(SHEET_NAMES, FILES, strict=True):
        rows = list(wb[sheet].iter_rows(min_row=2))
        assert len(rows) == len(tables[name]), sheet
        for cells, record in zip(rows, tables[name], strict=True):
            for cell, text in zip(cells, record.values(), strict=True):
                if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
                    continue
                places = _places(cell.number_format)
                shown = Decimal(str(cell.value)).quantize(Decimal(1).scaleb(-places),
                                                          rounding=ROUND_HALF_UP)
                where = (sheet, cell.coordinate, cell.value, text)
                assert Decimal(text) == shown, where
                assert len(text.partition(".")[2]) == places, where
                seen[places] = seen.get(places, 0) + 1
    # whole numbers, scores, money and percentages were all compared
    assert {0, 1, 2, 3} <= set(seen), seen


def test_anonymized_interviewees_are_not_in_the_zip(session, seeded, tmp_path):
    path = build(session, tmp_path, "csv")
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    for secret in (ANONYMOUS_NAME, ANONYMOUS_TITLE, BLIND_STAKEHOLDER, "VP Secrets"):
        assert secret not in text
    reasons = read_zip(path)["reasons.csv"]
    assert {r["Interviewee"] for r in reasons} >= {"Anonymized", "Carol Buyer"}


def test_empty_quarter_gives_headers_and_notes(session, cast, tmp_path):
    tables = read_zip(build(session, tmp_path, "csv", quarter="2019-Q1"))
    rows = tables["value-delivered.csv"]
    assert len(rows) == 1 and rows[0]["Account"] == "No value was delivered in 2019-Q1."
