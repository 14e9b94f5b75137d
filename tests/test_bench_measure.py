"""The benchmark's issue-18 parts at a tiny scale: PostgreSQL's COPY generator, the load
with writes and its stale-read check, the first-view targets and the report's lines.

The generator writes into its own databases (a temporary SQLite file; on PostgreSQL runs a
sibling of the test database, `<test db>_benchgen`), never the shared test database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import load as load_mod
from bench import run as run_mod
from bench.generate import generate, tiny_scale
from bench.report import FAIL, PASS, Report
from valuetracker.db import make_engine

ANCHOR = date(2026, 11, 23)
TABLES = ("account", "stakeholder", "value_entry", "value_commitment", "deal",
          "winloss_interview", "loyalty_pulse", "value_summary", "distribution")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("bench-measure")
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    generate(tiny_scale(4), url, anchor=ANCHOR, data_dir=folder, password_hash=None,
             log=lambda _msg: None)
    return url, folder


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in TABLES}
            index = ("search_document" if engine.dialect.name == "postgresql"
                     else "search_index")
            counts["search index"] = conn.execute(
                sa.text(f"SELECT count(*) FROM {index}")).scalar_one()
            counts["amount"] = int(conn.execute(
                sa.text("SELECT sum(amount) FROM value_entry")).scalar_one())
            return counts
    finally:
        engine.dispose()


def _other_database(database_url: str, tmp_path: Path) -> str:
    """Where this run's backend keeps a generated data set apart from the test data."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return url.set(database=f"{url.database}_benchgen").render_as_string(
            hide_password=False)
    return f"sqlite:///{tmp_path / 'other.sqlite'}"


def test_the_generator_on_this_backend_writes_what_sqlite_holds(
        tiny: tuple[str, Path], database_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the rows go through COPY and the search index is rebuilt once after
    the load instead of by its triggers: same rows, same index, same sums as SQLite."""
    url, _folder = tiny
    other = _other_database(database_url, tmp_path)
    result = generate(tiny_scale(4), other, anchor=ANCHOR, data_dir=tmp_path,
                      password_hash=None, regenerate=True, log=lambda _msg: None)
    expected = _counts(url)
    assert _counts(other) == expected
    assert expected["search index"] > 0 and expected["account"] == 4
    assert {t: result.counts[t] for t in TABLES} == {t: expected[t] for t in TABLES}
    # The app can keep inserting after the load (sequences moved past the ids).
    engine = make_engine(other)
    try:
        with engine.begin() as conn:
            before = conn.execute(sa.text("SELECT max(id) FROM competitor")).scalar_one()
            conn.execute(sa.text("INSERT INTO competitor (name) VALUES ('Bench test rival')"))
            after = conn.execute(sa.text("SELECT max(id) FROM competitor")).scalar_one()
        assert after > (before or 0)
    finally:
        engine.dispose()


def test_stale_reads_are_caught_and_fresh_ones_are_not() -> None:
    page = '<div class="stat" data-figure="total">$12,345</div>'
    assert load_mod.shown_total(page) == 12345
    assert not load_mod.is_stale(page, 12345)
    assert load_mod.is_stale(page, 12346)
    assert load_mod.is_stale("<p>no figure</p>", 0)


class _StaleWriter(load_mod.Writer):
    """Reads back the value page as it was before its first write: every read-back of
    a committed write is stale."""

    def read_total(self) -> tuple[str, float]:
        if not hasattr(self, "_old"):
            self._old = super().read_total()
        return self._old


def test_load_with_writes_writes_through_the_form_and_counts_stale_reads(
        tiny: tuple[str, Path]) -> None:
    from bench.probe import find_probe

    url, folder = tiny
    app = run_mod.make_app(url, folder / "app")
    probe = find_probe(app.extensions["valuetracker.engine"], anchor=ANCHOR)
    reads = run_mod.mixed_reads(app, probe)
    app.extensions["valuetracker.engine"].dispose()
    assert {"accounts list, page 1", "account page", "account value page",
            "portfolio page", "win/loss analytics", "My work"} <= set(reads)
    base, proc, log = load_mod.start_gunicorn(url, folder / "gunicorn", workers=1)
    try:
        cookie = load_mod.login_cookie(base)
        writer = load_mod.Writer(base, probe.account_slug)
        before = load_mod.shown_total(writer.read_total()[0])
        honest = load_mod.run_mixed(base, reads, cookie, writer, clients=2, seconds=2,
                                    writes_per_second=4)
        after = load_mod.shown_total(writer.read_total()[0])
        assert honest.writes >= 1 and honest.write_errors == 0 and honest.errors == 0
        assert honest.stale == 0
        assert after == (before or 0) + honest.writes * load_mod.WRITE_AMOUNT
        assert honest.reads > honest.writes and honest.p95_ms > 0
        stale = load_mod.run_mixed(base, reads, cookie, _StaleWriter(base, probe.account_slug),
                                   clients=1, seconds=1.5, writes_per_second=4)
        assert stale.writes >= 1
        assert stale.stale >= stale.writes  # each read-back missed its own write
    finally:
        load_mod.stop(proc)
        log.close()


def test_without_the_postgres_url_the_report_says_it_was_not_measured() -> None:
    args = run_mod.parse_args(["--scales", "S,L"])
    backends = run_mod.plan_backends(args, "")
    assert [label for label, _url in backends] == ["SQLite"]
    report = Report()
    report.remarks.extend(run_mod.backend_remarks(backends))
    assert "PostgreSQL: not measured (set VALUETRACKER_BENCH_POSTGRES_URL)" in report.table()

    both = run_mod.plan_backends(args, "postgresql+psycopg://postgres@127.0.0.1:5432/vt")
    assert [label for label, _url in both] == ["SQLite", "PostgreSQL"]
    assert both[1][1]("L") == "postgresql+psycopg://postgres@127.0.0.1:5432/vt_l"
    assert run_mod.backend_remarks(both) == []
    assert run_mod.postgres_url_for("postgresql+psycopg://h/x_{scale}", "S") == \
        "postgresql+psycopg://h/x_s"


def _result(name: str, ms: float) -> object:
    from bench.pages import PageResult

    return PageResult(name, "/x", times_ms=[ms] * 10, cpu_ms=[ms] * 10, queries=[5] * 10,
                      statuses=[200] * 10)


def test_first_view_after_a_change_has_targets_on_l_and_growth() -> None:
    report = Report()
    report.database = "PostgreSQL"
    name = "portfolio page, first view after a change"
    run_mod._after_change_figures(report, name, {"S": _result(name, 40.0),
                                                 "L": _result(name, 140.0)}, "S", "L")
    p95 = {(f.scale, f.metric): f for f in report.figures}
    assert p95[("L", "p95")].status == PASS and p95[("L", "p95")].target == "<= 150 ms"
    assert p95[("S/L", "p95 growth")].status == FAIL  # 3.5x > 3x
    assert all(f.database == "PostgreSQL" for f in report.figures)

    account = "account page, first view after a change"
    report = Report()
    run_mod._after_change_figures(report, account, {"S": _result(account, 10.0),
                                                    "L": _result(account, 60.0)}, "S", "L")
    assert [f.status for f in report.figures if f.metric == "p95" and f.scale == "L"] == [FAIL]
    assert not [f for f in report.figures if f.metric == "p95 growth"]

    report = Report()
    run_mod._xl_figures(report, [_result(name, 300.0)], [_result(name, 140.0)], "L")
    growth = next(f for f in report.figures if f.metric == "p95 growth")
    assert growth.scale == "L/XL" and growth.status == FAIL


def test_xl_is_in_the_default_run_and_its_rows_say_when_it_was_left_out() -> None:
    assert run_mod.parse_args([]).scales == ["S", "L", "XL"]
    name = "portfolio page, first view after a change"
    report = Report()
    run_mod._xl_figures(report, [], [_result(name, 140.0)], "L")
    rows = {(f.scale, f.metric): f for f in report.figures}
    assert rows[("XL", "p95")].status == FAIL and rows[("L/XL", "p95 growth")].status == FAIL
    assert "not measured" in report.table()
