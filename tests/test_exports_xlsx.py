"""The quarterly review workbook, read back with openpyxl and checked against SQL of our own."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from valuetracker.exports import SHEET_NAMES, build_quarter_export
from valuetracker.exports.spec import YIELD_PER
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

Q4_END = date(2026, 12, 31)


def export(session: Session, tmp_path: Path, **kw: Any) -> Path:
    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=parse_quarter(kw.pop("quarter", QUARTER)),
                         path=path, today=TODAY, **kw)
    return path


def table(ws: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def scalar(session: Session, sql: str, **params: Any) -> Any:
    return session.execute(sa.text(sql), {"s": Q_START, "e": Q_END, **params}).scalar()


def column(header: list[str], rows: list[tuple[Any, ...]], name: str) -> list[Any]:
    index = header.index(name)
    return [row[index] for row in rows]


def test_sheets_in_order_with_frozen_filtered_headers(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    assert wb.sheetnames == list(SHEET_NAMES) == [
        "Summary", "Value delivered", "Commitments", "Stakeholder coverage", "Deals",
        "Win-loss", "Reasons", "Loyalty"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(isinstance(h, str) and h for h in table(ws)[0]), ws.title
    header, _ = table(wb["Value delivered"])
    assert header[:5] == ["Account", "Segment", "Delivered on", "Title", "Value driver"]
    assert "Value (USD)" in header


def test_row_counts_match_independent_queries(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    expected = {
        "Summary": scalar(session, "SELECT count(*) FROM account WHERE status <> 'archived'"),
        "Value delivered": scalar(
            session, "SELECT count(*) FROM value_entry WHERE delivered_on BETWEEN :s AND :e"),
        "Commitments": scalar(
            session, "SELECT count(*) FROM value_commitment WHERE due_on BETWEEN :s AND :q4",
            q4=Q4_END),
        "Stakeholder coverage": scalar(
            session, "SELECT count(*) FROM stakeholder WHERE is_key AND erased_at IS NULL"),
        "Deals": scalar(session, "SELECT count(*) FROM deal WHERE outcome IN "
                                 "('won','lost','no_decision') AND closed_on BETWEEN :s AND :e"),
        "Reasons": scalar(session, """
            SELECT (SELECT count(*) FROM factor_rating r JOIN winloss_interview i
                      ON i.id = r.interview_id JOIN deal d ON d.id = i.deal_id
                     WHERE i.status = 'completed' AND d.closed_on BETWEEN :s AND :e)
                 + (SELECT count(*) FROM interview_quote r JOIN winloss_interview i
                      ON i.id = r.interview_id JOIN deal d ON d.id = i.deal_id
                     WHERE i.status = 'completed' AND d.closed_on BETWEEN :s AND :e)"""),
        "Loyalty": scalar(
            session, "SELECT count(*) FROM loyalty_pulse WHERE taken_on BETWEEN :s AND :e"),
    }
    assert expected["Value delivered"] == 12 and expected["Reasons"] == 7  # the seed is rich
    for name, count in expected.items():
        assert len(table(wb[name])[1]) == count, name


def test_value_and_deal_totals_match(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    header, rows = table(wb["Value delivered"])
    total = scalar(session, "SELECT sum(amount) FROM value_entry WHERE unit = 'currency' "
                            "AND delivered_on BETWEEN :s AND :e")
    values = [v for v in column(header, rows, "Value (USD)") if v is not None]
    assert Decimal(str(round(sum(values), 2))) == Decimal(total)
    # money cells are numbers with the currency format; dates are real dates
    ws = wb["Value delivered"]
    money_cell = ws.cell(row=2, column=header.index("Value (USD)") + 1)
    assert money_cell.data_type == "n" and "$" in money_cell.number_format
    assert ws.cell(row=2, column=3).is_date

    header, rows = table(wb["Deals"])
    deal_total = scalar(session, "SELECT sum(amount) FROM deal WHERE outcome IN "
                                 "('won','lost','no_decision') AND closed_on BETWEEN :s AND :e")
    assert sum(column(header, rows, "Amount (USD)")) == pytest.approx(float(deal_total))
    competitors = dict(zip(column(header, rows, "Deal"), column(header, rows, "Competitors"),
                           strict=True))
    assert set(competitors["Acme Corp won deal"].split("; ")) == {"Microsoft", "Oracle"}


def test_summary_figures_per_account(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    header, rows = table(wb["Summary"])
    by_account = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_account) == ["Acme Corp", "Globex", "Initech"]
    for account_id, name in [(seeded.acme.id, "Acme Corp"), (seeded.globex.id, "Globex")]:
        row = by_account[name]
        quarter = scalar(session, "SELECT coalesce(sum(amount), 0) FROM value_entry WHERE "
                         "unit='currency' AND account_id=:a AND delivered_on BETWEEN :s AND :e",
                         a=account_id)
        ytd = scalar(session, "SELECT coalesce(sum(amount), 0) FROM value_entry WHERE "
                     "unit='currency' AND account_id=:a AND delivered_on BETWEEN :y AND :e",
                     a=account_id, y=date(2026, 1, 1))
        confirmed = scalar(session, "SELECT coalesce(sum(amount), 0) FROM value_entry WHERE "
                           "unit='currency' AND evidence_status='confirmed' AND account_id=:a "
                           "AND delivered_on BETWEEN :s AND :e", a=account_id)
        assert row["Value delivered 2026-Q3 (USD)"] == pytest.approx(float(quarter))
        assert row["Value delivered YTD (USD)"] == pytest.approx(float(ytd))
        assert row["Confirmed share 2026-Q3"] == pytest.approx(float(confirmed / quarter))
        drivers = [h for h in header if h.startswith("2026-Q3 ")]
        assert len(drivers) == 6
        assert sum(row[h] for h in drivers) == pytest.approx(float(quarter))
    acme = by_account["Acme Corp"]
    # hand-checked: 10000 + 2500.50 + 1200 in Q3; plus May's 5000 for the year
    assert acme["Value delivered 2026-Q3 (USD)"] == pytest.approx(13700.50)
    assert acme["Value delivered YTD (USD)"] == pytest.approx(18700.50)
    assert acme["2026-Q3 Revenue growth (USD)"] == pytest.approx(10000)
    # commitments due in Q3: 3 at Acme, one delivered on time
    assert (acme["Commitments due 2026-Q3"], acme["Delivered on time"]) == (3, 1)
    assert acme["On-time rate"] == pytest.approx(1 / 3)
    # latest pulses by quarter end: Carol 9 (promoter), Gina 8 (passive) -> NPS 50
    assert acme["NPS at quarter end"] == pytest.approx(50)
    assert acme["Satisfied but not loyal"] == 1  # Carol: 5 and "probably"
    # coverage: Carol is the only eligible key stakeholder (Erin opted out, Frank left)
    assert (acme["Key stakeholders sent summary"], acme["Key stakeholders in the send"]) == (1, 1)
    assert acme["Coverage"] == pytest.approx(1.0)
    globex = by_account["Globex"]
    assert globex["NPS at quarter end"] == pytest.approx(-100)
    assert globex["Coverage"] == pytest.approx(0.0)
    # Health as signals say today (none refreshed yet: every active account healthy).
    assert (acme["Health score"], acme["Health band"], acme["Top signals"]) == (
        100, "healthy", None)
    initech = by_account["Initech"]
    assert initech["Value delivered 2026-Q3 (USD)"] == 0
    assert initech["Margin tier"] == "Let go"


def test_winloss_sheet_matches_counts(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    header, rows = table(wb["Win-loss"])
    deals = session.execute(sa.text(
        "SELECT a.segment, d.outcome FROM deal d JOIN account a ON a.id = d.account_id "
        "WHERE d.outcome IN ('won','lost','no_decision') AND d.closed_on BETWEEN :s AND :e"),
        {"s": Q_START, "e": Q_END}).all()
    expected = Counter((segment, outcome) for segment, outcome in deals)
    segments = {r[1]: dict(zip(header, r, strict=True)) for r in rows if r[0] == "Segment"}
    assert set(segments) == {"Enterprise", "Mid-market"}
    for segment, row in segments.items():
        won, lost, nd = (expected[(segment, o)] for o in ("won", "lost", "no_decision"))
        assert (row["Won"], row["Lost"], row["No decision"]) == (won, lost, nd)
        assert row["Win rate"] == pytest.approx(won / (won + lost + nd))
        assert row["Small sample (<10)"] == "Yes"
        assert 0 <= row["95% CI low"] <= row["Win rate"] <= row["95% CI high"] <= 1
    competitors = {r[1]: (r[2], r[3], r[4]) for r in rows if r[0] == "Competitor"}
    assert competitors == {"Microsoft": (2, 0, 0), "Oracle": (1, 1, 0), "(none)": (0, 0, 1)}


def test_formula_looking_text_stays_text(session, seeded, tmp_path):
    path = export(session, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Value delivered"]
    header = [c.value for c in ws[1]]
    cells = {}
    for row in ws.iter_rows(min_row=2):
        cell = row[header.index("Title")]
        cells[cell.value] = row
    for text in HOSTILE:
        # a carriage return is Excel's line break (\n) in a cell; nothing else changes
        expected = text.replace("\r", "\n")
        assert expected in cells, text
        for name in ("Title", "Source", "Description"):
            cell = cells[expected][header.index(name)]
            assert cell.data_type == "s" and cell.value == expected, (name, text)
    # the negative amount of a hostile row stays a number
    amount = cells[HOSTILE[0]][header.index("Value (USD)")]
    assert amount.data_type == "n" and amount.value == -10
    # no formula anywhere in the workbook's XML
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_anonymized_interviewees_never_appear(session, seeded, tmp_path):
    path = export(session, tmp_path)
    wb = openpyxl.load_workbook(path)
    header, rows = table(wb["Reasons"])
    interviewees = set(column(header, rows, "Interviewee"))
    assert "Anonymized" in interviewees and "Carol Buyer" in interviewees
    # the name and title appear nowhere, not even in the raw XML of the file
    with zipfile.ZipFile(path) as archive:
        blob = b"".join(archive.read(n) for n in archive.namelist())
    for secret in (ANONYMOUS_NAME, ANONYMOUS_TITLE, BLIND_STAKEHOLDER, "VP Secrets"):
        assert secret.encode() not in blob, secret


def test_empty_quarter_gives_headers_and_a_note(session, cast, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path, quarter="2019-Q1"))
    assert wb.sheetnames == list(SHEET_NAMES)
    header, rows = table(wb["Value delivered"])
    assert header[0] == "Account"
    assert rows == [("No value was delivered in 2019-Q1.",) + (None,) * (len(header) - 1)]
    assert table(wb["Deals"])[1][0][0] == "No deals closed in 2019-Q1."
    # the Summary still lists the accounts, with zero value
    summary_header, summary = table(wb["Summary"])
    assert [r[0] for r in summary] == ["Acme Corp", "Globex"]


def test_manager_export_holds_only_own_accounts(session, seeded, cast, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path, user=cast.am1))
    for name in ("Summary", "Value delivered", "Commitments", "Stakeholder coverage",
                 "Deals", "Loyalty"):
        header, rows = table(wb[name])
        accounts = set(column(header, rows, "Account"))
        assert accounts == {"Acme Corp"}, name
    header, rows = table(wb["Win-loss"])
    assert {r[1] for r in rows if r[0] == "Segment"} == {"Enterprise"}
    # interviews are the win/loss program's: managers cannot read them in the app either
    header, rows = table(wb["Reasons"])
    assert rows == [("Interviews are shared with the win/loss program, leaders and admins.",)
                    + (None,) * (len(header) - 1)]


def test_leader_export_scoped_to_one_account_keeps_reasons(session, seeded, cast, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path, user=cast.leader,
                                       account_ids=[seeded.acme.id]))
    header, rows = table(wb["Reasons"])
    assert set(column(header, rows, "Account")) == {"Acme Corp"} and len(rows) == 6


def test_account_filter_narrows_the_export(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path, account_ids=[seeded.globex.id]))
    header, rows = table(wb["Value delivered"])
    assert set(column(header, rows, "Account")) == {"Globex"}
    assert len(rows) == 2 + len(HOSTILE)


def _bulk_entries(session: Session, account_id: int, count: int) -> None:
    rows = [{"account_id": account_id, "title": f"Bulk entry {n} with a longish title",
             "driver": "productivity", "amount": Decimal("12.34"), "unit": "currency",
             "delivered_on": date(2026, 7 + n % 3, 1 + n % 28),
             "evidence_status": "claimed", "description": "x" * 80}
            for n in range(count)]
    from valuetracker.models import ValueEntry

    session.execute(sa.insert(ValueEntry), rows)
    session.commit()


def _peak_memory(session: Session, path: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        build_quarter_export(session, quarter=parse_quarter(QUARTER), path=path, today=TODAY)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_rows_grow(session, cast, tmp_path):
    """Three times the rows must not need more memory: rows stream in fixed-size batches."""
    assert YIELD_PER <= 1_000
    _bulk_entries(session, cast.account1.id, 2_000)  # two YIELD_PER batches
    _peak_memory(session, tmp_path / "warm.xlsx")  # the first run fills SQLAlchemy's caches
    small = _peak_memory(session, tmp_path / "small.xlsx")
    _bulk_entries(session, cast.account1.id, 4_000)
    large = _peak_memory(session, tmp_path / "large.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "large.xlsx", read_only=True)
    assert wb["Value delivered"].max_row == 6_001
    wb.close()
    assert large < small * 1.25, (small, large)


def test_coverage_sheet_states(session, seeded, tmp_path):
    wb = openpyxl.load_workbook(export(session, tmp_path))
    header, rows = table(wb["Stakeholder coverage"])
    states = {r[1]: dict(zip(header, r, strict=True)) for r in rows}
    expected = {
        "Carol Buyer": ("Yes", "Received", "sent"),
        "Dan Champion": ("Yes", "Missing", "generated, not sent"),
        "Erin Optout": ("No", "Skipped", "opted out"),
        "Frank Gone": ("No", "Skipped", "left the company"),
    }
    assert {name: (row["Counts toward coverage"], row["State"], row["Reason"])
            for name, row in states.items()} == expected
    assert states["Carol Buyer"]["Channels"] == "email"
    assert states["Carol Buyer"]["Sent at"].isoformat() == "2026-10-03T10:30:00"
