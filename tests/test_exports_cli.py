"""`valuetracker export quarter`: default path, format, account filter, clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest


def test_default_path_under_reports_dir(runner, app, seeded):
    result = runner.invoke(args=["export", "quarter", "2026-Q3"])
    assert result.exit_code == 0, result.output
    path = Path(app.config["REPORTS_DIR"]) / "2026-Q3" / "quarterly-review-2026-Q3.xlsx"
    assert path.is_file()
    assert f"Wrote {path}" in result.output
    assert "Value delivered: 12 rows" in result.output
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Summary" and wb["Summary"].max_row == 4


def test_csv_format_and_output_option(runner, seeded, tmp_path):
    target = tmp_path / "out" / "review.zip"
    result = runner.invoke(args=["export", "quarter", "2026-Q3", "--format", "csv",
                                 "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "summary.csv" in zipfile.ZipFile(target).namelist()


def test_account_option_limits_the_export(runner, seeded, tmp_path):
    target = tmp_path / "acme.xlsx"
    result = runner.invoke(args=["export", "quarter", "2026-Q3", "--account", "acme-corp",
                                 "-o", str(target)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(target)["Value delivered"]
    assert {row[0] for row in ws.iter_rows(min_row=2, values_only=True)} == {"Acme Corp"}


@pytest.mark.parametrize("quarter", ["2026-Q5", "Q3-2026", "last quarter", ""])
def test_invalid_quarter_is_a_clear_error(runner, cast, quarter, tmp_path):
    result = runner.invoke(args=["export", "quarter", quarter, "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0
    assert "is not a quarter; write it like 2026-Q3" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_unknown_account_is_a_clear_error(runner, cast, tmp_path):
    result = runner.invoke(args=["export", "quarter", "2026-Q3", "--account", "nope",
                                 "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0
    assert "Unknown account: nope." in result.output


def test_empty_database_still_writes_a_workbook(runner, app, tmp_path):
    target = tmp_path / "empty.xlsx"
    result = runner.invoke(args=["export", "quarter", "2026-Q3", "-o", str(target)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(target)["Summary"]
    assert ws["A2"].value == "No accounts."


@pytest.fixture
def april_fiscal_year(app_config: dict[str, Any]) -> None:
    app_config["FISCAL_YEAR_START_MONTH"] = 4


def test_fiscal_quarters_follow_the_setting(april_fiscal_year, runner, seeded, tmp_path):
    # With an April fiscal year, 2026-Q2 is July-September 2026 (the seeded quarter).
    target = tmp_path / "fiscal.xlsx"
    result = runner.invoke(args=["export", "quarter", "2026-Q2", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Value delivered: 12 rows" in result.output
    ws = openpyxl.load_workbook(target)["Summary"]
    header = [c.value for c in ws[1]]
    acme = [c.value for c in ws[2]]
    # the fiscal year to date starts in April, so May's 5000 counts
    assert acme[header.index("Value delivered YTD (USD)")] == pytest.approx(18700.50)
