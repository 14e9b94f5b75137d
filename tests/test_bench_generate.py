"""The benchmark's data generator (bench/generate.py) at a tiny scale, so it cannot rot.

It writes into its own temporary SQLite file: the shared test database is emptied per
test, and the generator resets the database it is given. (PostgreSQL CI runs use the
same temporary SQLite file; `python -m bench --database-url` covers PostgreSQL.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.generate import GenerationResult, generate, params_hash, tiny_scale
from valuetracker.db import make_engine

ANCHOR = date(2026, 11, 23)
# The generated database's URL and what the generator reported.
Generated = tuple[str, GenerationResult]


@pytest.fixture
def generated(tmp_path: Path) -> Generated:
    scale = tiny_scale(6)
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    result = generate(scale, url, anchor=ANCHOR, data_dir=tmp_path, password_hash="x",
                      log=lambda _msg: None)
    return url, result


def _scalar(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_row_counts_match_the_scale(generated: Generated) -> None:
    url, result = generated
    scale = tiny_scale(6)
    expected = {
        "account": scale.accounts,
        "stakeholder": scale.stakeholders,
        "value_entry": scale.value_entries,
        "value_commitment": scale.commitments,
        "deal": scale.deals,
        "winloss_interview": scale.interviews,
        "loyalty_pulse": scale.pulses,
    }
    for table, count in expected.items():
        assert _scalar(url, f"SELECT count(*) FROM {table}") == count, table
        assert result.counts[table] == count
    assert not result.reused


def test_every_account_has_key_stakeholders_and_history(generated: Generated) -> None:
    url, _result = generated
    assert _scalar(url, "SELECT count(*) FROM account WHERE id NOT IN "
                        "(SELECT account_id FROM stakeholder WHERE is_key)") == 0
    # Two years of value: eight or nine distinct quarters' worth of months.
    months = _scalar(url, "SELECT count(DISTINCT substr(delivered_on, 1, 7)) FROM value_entry")
    assert months >= 20
    # Summaries and their sendings exist for coverage; each sending belongs to a summary.
    assert _scalar(url, "SELECT count(*) FROM distribution") == \
        _scalar(url, "SELECT count(*) FROM value_summary") > 0
    assert _scalar(url, "SELECT count(*) FROM deal WHERE outcome = 'open' "
                        "AND closed_on IS NOT NULL") == 0


def test_ids_follow_time_like_a_real_installation(generated: Generated) -> None:
    url, _result = generated
    for table, column in (("value_entry", "delivered_on"), ("deal", "opened_on"),
                          ("loyalty_pulse", "taken_on")):
        backwards = _scalar(url, f"SELECT count(*) FROM {table} a JOIN {table} b "
                                 f"ON b.id = a.id + 1 WHERE b.{column} < a.{column}")
        assert backwards == 0, table


def test_a_second_call_reuses_the_data_set(tmp_path: Path,
                                            generated: Generated) -> None:
    url, first = generated
    again = generate(tiny_scale(6), url, anchor=ANCHOR, data_dir=tmp_path, password_hash="x",
                     log=lambda _msg: None)
    assert again.reused
    assert again.params_hash == first.params_hash == params_hash(tiny_scale(6), ANCHOR)
    assert again.counts == first.counts


def test_same_seed_same_data(tmp_path: Path, generated: Generated) -> None:
    url, _first = generated
    other = f"sqlite:///{tmp_path / 'again.sqlite'}"
    generate(tiny_scale(6), other, anchor=ANCHOR, data_dir=tmp_path, password_hash="x",
             regenerate=True, log=lambda _msg: None)
    checksum = "SELECT sum(amount) FROM value_entry"
    assert _scalar(url, checksum) == _scalar(other, checksum)


def test_every_bench_page_answers_200_on_a_tiny_data_set(generated: Generated,
                                                         tmp_path: Path) -> None:
    """The page benchmark signs in and opens each page it times; a page it cannot open
    (a sign-in that no longer works, a missing endpoint) would make its figures empty."""
    from bench.pages import measure_pages
    from bench.probe import find_probe
    from bench.run import make_app

    url, _result = generated
    app = make_app(url, tmp_path)
    probe = find_probe(app.extensions["valuetracker.engine"], anchor=ANCHOR)
    results = measure_pages([("XS", app, probe)], requests=1, log=lambda _msg: None)
    failed = {r.name: r.error for r in results["XS"] if not r.ok}
    assert not failed
    assert all(set(r.statuses) == {200} for r in results["XS"])
