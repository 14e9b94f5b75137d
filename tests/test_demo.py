"""`valuetracker seed-demo`: users of every role, accounts across segments and tiers,
stakeholders in every buying role; deterministic; `--if-empty` is a no-op when seeded."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from valuetracker import stakeholders
from valuetracker.demo import core
from valuetracker.models import (
    BUYING_ROLES,
    ROLES,
    TIERS,
    Account,
    AccountMember,
    Stakeholder,
    User,
)
from valuetracker.security import check_password

from .conftest import empty_all_tables


def _snapshot(session: Any) -> list[tuple[Any, ...]]:
    return [
        (s.name, s.email, s.buying_role, s.influence, s.sentiment, s.is_key, s.reports_to_id,
         s.last_contacted_on, s.opted_out_at is not None, s.left_company_at is not None)
        for s in session.exec(select(Stakeholder).order_by(Stakeholder.id)).all()
    ]


def test_seed_demo_command_prints_logins(runner: Any, session: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.example" in result.output and core.DEMO_PASSWORD in result.output
    users = session.exec(select(User)).all()
    assert {u.role for u in users} == set(ROLES)
    assert sum(u.role == "account_manager" for u in users) == 2
    admin = next(u for u in users if u.email == "admin@demo.example")
    assert check_password(admin.password_hash, core.DEMO_PASSWORD)


def test_demo_data_is_realistic(runner: Any, session: Any) -> None:
    runner.invoke(args=["seed-demo"])
    accounts = session.exec(select(Account)).all()
    assert len(accounts) >= 12
    assert {a.segment for a in accounts} == {"Enterprise", "Mid-market", "SMB", "Public sector"}
    assert {a.tier for a in accounts} == set(TIERS)
    assert any(a.margin is not None and a.margin < 0 for a in accounts)  # costly customer
    assert session.exec(select(AccountMember)).first() is not None
    people = session.exec(select(Stakeholder)).all()
    assert {p.buying_role for p in people} == set(BUYING_ROLES)
    assert any(p.reports_to_id for p in people)
    assert any(p.opted_out_at for p in people) and any(p.left_company_at for p in people)
    assert all(p.preferences for p in people)
    # the coverage warnings have something to show, and some accounts are healthy
    counts = stakeholders.coverage_counts(session, date.today())
    codes = {a.id: [w.code for w in stakeholders.warnings_from_counts(counts[a.id])]
             for a in accounts}
    found = {code for c in codes.values() for code in c}
    assert {"no_economic_buyer", "key_left", "key_stale", "single_threaded"} <= found
    assert any(not c for c in codes.values())


def test_seed_is_deterministic(runner: Any, session: Any, app: Any) -> None:
    runner.invoke(args=["seed-demo"])
    first = _snapshot(session)
    session.rollback()  # end the read transaction: PostgreSQL's TRUNCATE waits for it
    empty_all_tables(app.extensions["valuetracker.engine"])
    runner.invoke(args=["seed-demo"])
    session.expire_all()
    assert _snapshot(session) == first


def test_if_empty_skips_a_seeded_database(runner: Any, session: Any) -> None:
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    count = len(session.exec(select(Account)).all())
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "Demo data is already in place." in result.output
    assert len(session.exec(select(Account)).all()) == count
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "not empty" in result.output


def test_seed_fills_made_for_later_areas(app: Any, session: Any) -> None:
    from valuetracker.demo import seed_demo

    made = seed_demo(session)
    session.commit()
    assert set(made["users"]) == {"admin", "leader", "analyst", "am1", "am2"}
    assert len(made["accounts"]) == len(core.DEMO_ACCOUNTS)
    assert sum(len(v) for v in made["stakeholders_by_account"].values()) == \
        len(made["stakeholders"])
