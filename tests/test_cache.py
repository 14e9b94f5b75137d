"""The data version and the figure cache: cached figures never outlive a committed change."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker import audit
from valuetracker.cache import cached, current_version
from valuetracker.models import Account, Stakeholder

from .factories import make_account
from .factories_value import make_entry


def _version(app: Flask) -> int:
    with Session(app.extensions["valuetracker.engine"]) as other:
        return current_version(other)


def test_a_committed_change_bumps_the_version_once_per_transaction(app: Flask,
                                                                    session: Any) -> None:
    before = _version(app)
    make_account(session, "Initech")
    make_account(session, "Umbrella")
    session.flush()
    session.commit()
    assert _version(app) == before + 1

    account = session.exec(select(Account).where(Account.name == "Initech")).one()
    account.segment = "SMB"
    session.commit()
    assert _version(app) == before + 2


def test_bulk_statements_count_and_bookkeeping_does_not(app: Flask, session: Any,
                                                         cast: Any) -> None:
    before = _version(app)
    audit.record(session, "login", "user", cast.leader.id, cast.leader.email)
    session.commit()
    assert _version(app) == before  # the audit trail is not data the figures read

    session.execute(sa.update(Stakeholder).where(Stakeholder.account_id == cast.account1.id)
                    .values(sentiment="negative"))
    session.commit()
    assert _version(app) == before + 1


def test_a_rolled_back_change_leaves_the_version(app: Flask, session: Any) -> None:
    before = _version(app)
    make_account(session, "Never saved")
    session.rollback()
    assert _version(app) == before


def test_cached_recomputes_only_after_a_change(app: Flask, session: Any) -> None:
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    with app.test_request_context():
        from valuetracker.db import get_session

        first = cached(get_session(), "figure", ("all",), compute)
        again = cached(get_session(), "figure", ("all",), compute)
        other_scope = cached(get_session(), "figure", ("user", 7), compute)
        assert first is again and len(calls) == 2 and other_scope == [2]

    make_account(session, "Changes things")
    session.commit()
    with app.test_request_context():
        from valuetracker.db import get_session

        assert cached(get_session(), "figure", ("all",), compute) == [3]


def test_the_cache_can_be_turned_off(app_config: dict[str, Any]) -> None:
    from valuetracker import create_app

    app = create_app({**app_config, "FIGURE_CACHE_SIZE": 0})
    calls: list[int] = []
    with app.test_request_context():
        from valuetracker.db import get_session

        for _ in range(2):
            cached(get_session(), "figure", (), lambda: calls.append(1))
    assert len(calls) == 2
    app.extensions["valuetracker.engine"].dispose()


def test_the_portfolio_page_shows_a_change_made_after_it_was_cached(
        session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.leader)
    html = client.get("/portfolio").get_data(as_text=True)
    assert "Disputed value" not in html

    make_entry(session, cast.account1, "900", delivered_on=date.today(),
               evidence_status="disputed")
    session.commit()
    html = client.get("/portfolio").get_data(as_text=True)
    assert "Disputed value" in html and "1 disputed entry" in html
