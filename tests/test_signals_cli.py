"""`valuetracker health`: every active account's score, band and signals, as a table or
as the JSON other tools read (exact keys)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from valuetracker.signals import refresh_signals

from .factories import make_account, make_commitment


def seeded(session: Any, cast: Any) -> None:
    make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=3),
                    title="Roll out SSO")
    make_account(session, "Old Friend", status="churned")
    session.commit()
    refresh_signals(session)
    session.commit()


def test_health_json_has_the_exact_shape(session: Any, cast: Any, runner: Any) -> None:
    seeded(session, cast)
    result = runner.invoke(args=["health", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # Active accounts only, lowest score first: Acme 100-15-15-10-5 = 55, Globex 60.
    assert [(d["account"], d["score"], d["band"]) for d in data] == [
        ("acme-corp", 55, "watch"), ("globex", 60, "watch")]
    for d in data:
        assert set(d) == {"account", "name", "score", "band", "signals"}
        for s in d["signals"]:
            assert set(s) == {"kind", "severity", "since", "message"}
            date.fromisoformat(s["since"])
    acme = data[0]
    assert acme["name"] == "Acme Corp"
    overdue = next(s for s in acme["signals"] if s["kind"] == "commitment_overdue")
    assert overdue["severity"] == "high" and "“Roll out SSO”" in overdue["message"]
    assert overdue["since"] == (date.today() - timedelta(days=2)).isoformat()
    carol = next(s for s in acme["signals"] if s["kind"] == "key_not_contacted")
    assert "Carol Buyer" in carol["message"]


def test_health_of_some_accounts(session: Any, cast: Any, runner: Any) -> None:
    seeded(session, cast)
    result = runner.invoke(args=["health", "--account", "globex", "--account", "old-friend",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(d["account"], d["score"], d["band"]) for d in data] == [
        ("globex", 60, "watch"), ("old-friend", 100, "healthy")]
    assert data[1]["signals"] == []


def test_health_table(session: Any, cast: Any, runner: Any) -> None:
    seeded(session, cast)
    result = runner.invoke(args=["health"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Account", "Score", "Band", "Signals"]
    assert lines[1].split()[:4] == ["Acme", "Corp", "55", "watch"]
    assert "[high] The commitment “Roll out SSO” was due on" in result.output
    assert "Globex" in result.output and "Old Friend" not in result.output


def test_an_unknown_account_is_a_clear_error(session: Any, cast: Any, runner: Any) -> None:
    result = runner.invoke(args=["health", "--account", "nope"])
    assert result.exit_code != 0 and "No account with the slug nope." in result.output
    bad = runner.invoke(args=["health", "--format", "xml"])
    assert bad.exit_code != 0 and "xml" in bad.output
