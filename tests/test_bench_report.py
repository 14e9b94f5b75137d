"""The benchmark's figures, targets and results file (bench/report.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import FAIL, INFO, PASS, Report, percentile


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 31))  # 30 samples, as the page benchmark takes
    assert percentile(values, 50) == 15
    assert percentile(values, 95) == 29
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_targets_pass_fail_and_missing_figures(tmp_path: Path) -> None:
    report = Report()
    ok = report.add("pages", "account page", "L", "p95", 80.0, "ms", target="<= 150 ms",
                    ok=True)
    slow = report.add("pages", "portfolio", "L", "p95", 900.0, "ms", target="<= 150 ms",
                      ok=False)
    info = report.add("pages", "account page", "S", "p50", 40.0, "ms")
    missing = report.missing("pdf", "summary", "L", "median", "<= 400 ms",
                             "n/a (endpoint missing)")
    assert (ok.status, slow.status, info.status, missing.status) == (PASS, FAIL, INFO, FAIL)
    assert report.failed == [slow, missing]

    table = report.table()
    assert "n/a (endpoint missing)" in table and "900.0 ms" in table
    assert "1 PASS, 2 FAIL, 1 info" in table

    path = tmp_path / "results.json"
    report.write_json(path)
    data = json.loads(path.read_text())
    assert data["summary"] == {"pass": 1, "fail": 2}
    assert [f["status"] for f in data["figures"]] == [PASS, FAIL, INFO, FAIL]
