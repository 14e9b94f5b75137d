"""The figure sheets show exactly the app's figures: the Win-loss sheet equals
`winloss.win_rates` (what `winloss report` prints)."""

from __future__ import annotations

import json
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session

from valuetracker import winloss
from valuetracker.exports import build_quarter_export
from valuetracker.exports.figures import scoped_win_rates
from valuetracker.exports.spec import ExportContext
from valuetracker.models import label
from valuetracker.quarters import parse_quarter

from .factories_exports import QUARTER, TODAY, seed_quarter

Q = parse_quarter(QUARTER)


@pytest.fixture
def seeded(session: Session, cast: Any) -> Any:
    return seed_quarter(session, cast)


def test_winloss_sheet_equals_winloss_report(session, seeded, tmp_path):
    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=Q, path=path, today=TODAY)
    rows = list(openpyxl.load_workbook(path)["Win-loss"].iter_rows(values_only=True))[1:]
    for by in ("segment", "competitor"):
        sheet = [r for r in rows if r[0] == label(by)]
        app = winloss.win_rates(session, by=by, since=Q.start, until=Q.end)
        assert [r[1] for r in sheet] == [g.group for g in app]
        for r, g in zip(sheet, app, strict=True):
            assert r[2:6] == (g.won, g.lost, g.no_decision, g.closed)
            assert r[6:9] == (pytest.approx(g.win_rate), pytest.approx(g.ci_low),
                              pytest.approx(g.ci_high))
            assert r[9] == ("Yes" if g.small_sample else "No")


def test_scoped_win_rates_match_the_app_query_over_all_accounts(session, seeded):
    ctx = ExportContext(session=session, quarter=Q)
    for by in ("segment", "competitor"):
        mine = [(r.group, r.won, r.lost, r.no_decision) for r in scoped_win_rates(ctx, by=by)]
        app = [(r.group, r.won, r.lost, r.no_decision)
               for r in winloss.win_rates(session, by=by, since=Q.start, until=Q.end)]
        assert mine == app


def test_winloss_sheet_equals_the_winloss_report_command(runner, session, seeded, tmp_path):
    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=Q, path=path, today=TODAY)
    rows = list(openpyxl.load_workbook(path)["Win-loss"].iter_rows(values_only=True))[1:]
    for by in ("segment", "competitor"):
        result = runner.invoke(args=["winloss", "report", "--by", by, "--format", "json",
                                     "--since", Q.start.isoformat(),
                                     "--until", Q.end.isoformat()])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        sheet = [r for r in rows if r[0] == label(by)]
        assert [(r[1], r[2], r[3], r[4]) for r in sheet] == [
            (g["group"], g["won"], g["lost"], g["no_decision"]) for g in report]
        for r, g in zip(sheet, report, strict=True):
            assert r[6] == pytest.approx(g["win_rate"], abs=1e-4)
            assert (r[7], r[8]) == (pytest.approx(g["ci_low"], abs=1e-4),
                                    pytest.approx(g["ci_high"], abs=1e-4))
            assert (r[9] == "Yes") == g["small_sample"]
