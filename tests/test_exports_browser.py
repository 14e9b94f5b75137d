"""In a real browser: build the quarterly review from the exports page and download it."""

from __future__ import annotations

from typing import Any

import openpyxl
from sqlmodel import Session

from valuetracker.exports import SHEET_NAMES

from .conftest import browser_login
from .factories.scenarios import seed_quarter


def test_leader_builds_and_downloads_the_workbook(live_server, page, session: Session,
                                                  cast: Any, tmp_path):
    seed_quarter(session, cast)
    browser_login(page, live_server, cast.leader.email)
    page.get_by_role("link", name="Exports").click()
    page.get_by_label("Quarter").select_option("2026-Q3")
    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("button", name="Build export").click()
    page.get_by_text("The export is ready.").wait_for()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download quarterly-review-2026-Q3.xlsx").click()
    target = tmp_path / "downloaded.xlsx"
    info.value.save_as(target)
    assert info.value.suggested_filename == "quarterly-review-2026-Q3.xlsx"
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == list(SHEET_NAMES)
    assert wb["Summary"].max_row == 4  # three accounts under the header
