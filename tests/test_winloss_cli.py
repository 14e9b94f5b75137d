"""`valuetracker winloss report` in table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from .factories import make_competitor, make_deal

KEYS = ["group", "won", "lost", "no_decision", "win_rate", "ci_low", "ci_high", "small_sample"]


def _arrange(session: Any, cast: Any) -> None:
    msft = make_competitor(session, "Microsoft", "MSFT")
    for i in range(8):
        make_deal(session, cast.account1, "won", date(2026, 4, 1 + i), competitors=(msft,))
    for i in range(2):
        make_deal(session, cast.account1, "lost", date(2026, 4, 1 + i))
    make_deal(session, cast.account2, "no_decision", date(2026, 9, 1), product="=cmd()")
    make_deal(session, cast.account2, "won", date(2025, 1, 1))
    session.commit()


def test_report_json(runner: Any, session: Any, cast: Any) -> None:
    _arrange(session, cast)
    result = runner.invoke(args=["winloss", "report", "--by", "segment", "--format", "json",
                                 "--since", "2026-01-01", "--until", "2026-12-31"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["group"] for r in rows] == ["Enterprise", "Mid-market"]
    assert all(list(r) == KEYS for r in rows)
    ent = rows[0]
    assert (ent["won"], ent["lost"], ent["no_decision"]) == (8, 2, 0)
    assert ent["win_rate"] == 0.8 and (ent["ci_low"], ent["ci_high"]) == (0.4902, 0.9433)
    assert ent["small_sample"] is False
    assert rows[1]["win_rate"] == 0.0 and rows[1]["small_sample"] is True


def test_report_csv_by_product_neutralises_formulas(runner: Any, session: Any,
                                                    cast: Any) -> None:
    _arrange(session, cast)
    result = runner.invoke(args=["winloss", "report", "--by", "product", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == KEYS
    groups = [r["group"] for r in rows]
    assert "'=cmd()" in groups and "(none)" in groups


def test_report_table_by_quarter_and_competitor(runner: Any, session: Any, cast: Any) -> None:
    _arrange(session, cast)
    result = runner.invoke(args=["winloss", "report", "--by", "quarter"])
    assert result.exit_code == 0, result.output
    assert "2025-Q1" in result.output and "2026-Q2" in result.output
    assert "80.0%" in result.output and "(small sample)" in result.output
    result = runner.invoke(args=["winloss", "report", "--by", "competitor"])
    assert "Microsoft" in result.output


def test_report_rejects_bad_input(runner: Any, cast: Any) -> None:
    result = runner.invoke(args=["winloss", "report", "--since", "yesterday"])
    assert result.exit_code != 0 and "not a date" in result.output
    result = runner.invoke(args=["winloss", "report", "--by", "colour"])
    assert result.exit_code != 0
    result = runner.invoke(args=["winloss", "report"])
    assert result.exit_code == 0 and "No closed deals" in result.output
