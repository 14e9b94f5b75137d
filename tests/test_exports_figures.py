"""The Summary and Win-loss sheets show exactly the app's figures.

Every per-account figure of the workbook is compared with what the value, summaries and
win/loss modules compute for that account alone, and the Win-loss sheet with
`winloss.win_rates` (what `winloss report` prints).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, select

from valuetracker import value, winloss
from valuetracker.exports import build_quarter_export
from valuetracker.exports.figures import scoped_win_rates
from valuetracker.exports.spec import ExportContext
from valuetracker.models import DRIVERS, Account, label
from valuetracker.quarters import parse_quarter
from valuetracker.signals import accounts_health, refresh_signals
from valuetracker.summaries.coverage import coverage_by_account

from .factories.scenarios import QUARTER, TODAY

Q = parse_quarter(QUARTER)


def summary_rows(session: Session, tmp_path: Path, **kw: Any) -> dict[str, dict[str, Any]]:
    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=Q, path=path, today=TODAY, **kw)
    rows = list(openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True))
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def approx(value: Decimal | None) -> Any:
    return None if value is None else pytest.approx(float(value))


def test_summary_equals_the_value_modules_figures_per_account(session, seeded, tmp_path):
    refresh_signals(session, today=TODAY)
    session.commit()
    rows = summary_rows(session, tmp_path)
    accounts = session.exec(select(Account)).all()
    tiers = {t.id: t.tier for t in value.margin_tiers(session)}
    health = {h.account_id: h for h in accounts_health(session)}
    coverage = {c.account_id: c for c in coverage_by_account(session, Q, Account.id.is_not(None))}
    for account in accounts:
        row, ids = rows[account.name], [account.id]
        periods = value.value_periods(session, quarter=Q, account_ids=ids)
        for driver in DRIVERS:
            assert row[f"{QUARTER} {label(driver)} (USD)"] == approx(periods.quarter[driver])
        assert row[f"Value delivered {QUARTER} (USD)"] == approx(periods.quarter_total)
        assert row["Value delivered YTD (USD)"] == approx(periods.year_to_date_total)
        share = value.confirmed_share(session, account_ids=ids, start=Q.start, end=Q.end)
        assert row[f"Confirmed share {QUARTER}"] == approx(share.share)
        on_time = value.on_time_rate(session, account_ids=ids, start=Q.start, end=Q.end,
                                     today=TODAY)
        assert (row[f"Commitments due {QUARTER}"], row["Delivered on time"]) == (
            on_time.due, on_time.on_time)
        assert row["On-time rate"] == approx(on_time.rate)
        loyalty = value.loyalty(session, account_ids=ids, as_of=Q.end)
        assert row["NPS at quarter end"] == approx(loyalty.nps)
        assert row["Pulses (latest per stakeholder)"] == loyalty.respondents
        assert row["Satisfied but not loyal"] == loyalty.satisfied_not_loyal
        cov = coverage.get(account.id)
        assert row["Key stakeholders sent summary"] == (cov.sent if cov else 0)
        assert row["Key stakeholders in the send"] == (cov.eligible if cov else 0)
        assert row["Coverage"] == approx(cov.rate if cov else None)
        assert row["Margin tier"] == (label(tiers[account.id]) if account.id in tiers else None)
        if account.status != "active":
            assert (row["Health score"], row["Health band"], row["Top signals"]) == (
                None, None, None)
            continue
        h = health[account.id]
        assert (row["Health score"], row["Health band"]) == (h.score, h.band)
        top = row["Top signals"] or ""
        for o in h.top_reasons():
            assert f"{o.label}: {o.signal.message}" in top
        assert bool(top) == bool(h.signals)


def test_manager_summary_shows_the_portfolio_wide_tiers(session, seeded, cast, tmp_path):
    rows = summary_rows(session, tmp_path, user=cast.am2)
    tiers = {t.name: t.tier for t in value.margin_tiers(session)}
    assert set(rows) == {"Globex", "Initech"}
    for name, row in rows.items():
        assert row["Margin tier"] == label(tiers[name])


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
