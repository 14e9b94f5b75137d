"""The data version and the figure cache: cached figures never outlive a committed change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker import audit, signals
from valuetracker.cache import cached, current_version
from valuetracker.models import Account, Notification, Stakeholder
from valuetracker.notifications.inbox import mark_all_read
from valuetracker.signals import refresh_signals
from valuetracker.signals.health import get_weights, save_weights

from .conftest import sql_statements
from .factories import (
    make_account,
    make_commitment,
    make_confirmation,
    make_deal,
    make_entry,
    make_signal,
)


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
    assert "Value disputed" not in html

    make_entry(session, cast.account1, "900", delivered_on=date.today(),
               evidence_status="disputed", title="Lower churn")
    make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=2))
    session.commit()
    refresh_signals(session)  # signals are data: their refresh counts as a change
    session.commit()
    html = client.get("/portfolio").get_data(as_text=True)
    assert "Value disputed" in html and "“Lower churn”" in html


def _count_statements(app: Flask, request: Any) -> tuple[Any, int]:
    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        response = request()
    return response, len(statements)


def test_the_account_page_panels_are_kept_until_the_data_changes(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}"
    make_entry(session, cast.account1, "1200", delivered_on=date.today())
    session.commit()
    first, cold = _count_statements(app, lambda: client.get(url))
    again, warm = _count_statements(app, lambda: client.get(url))
    assert first.status_code == again.status_code == 200
    assert "$1,200" in again.get_data(as_text=True)
    # The value panel (1 statement) and the summaries panel (3) come from the cache.
    assert warm <= cold - 4
    make_entry(session, cast.account2, "900", delivered_on=date.today())
    session.commit()
    _, after_other = _count_statements(app, lambda: client.get(url))
    assert after_other == warm  # another account's entry: this account's panel is kept

    make_entry(session, cast.account1, "34", delivered_on=date.today())
    session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "$1,234" in html


def test_a_transaction_that_wrote_computes_without_keeping(app: Flask, session: Any) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with app.test_request_context():
        from valuetracker.db import get_session

        writer = get_session()
        make_account(writer, "Not committed yet")  # flushes: this transaction wrote
        assert cached(writer, "figure", (), compute) == 1
        assert cached(writer, "figure", (), compute) == 2  # not kept: it may roll back
        writer.rollback()
        assert cached(writer, "figure", (), compute) == 3
        assert cached(writer, "figure", (), compute) == 3  # read-only again: kept


def test_pending_changes_flushed_by_the_version_lookup_are_not_kept(app: Flask) -> None:
    from valuetracker.models import Account as AccountRow

    calls: list[int] = []
    with app.test_request_context():
        from valuetracker.db import get_session

        writer = get_session()
        writer.add(AccountRow(name="Pending", slug="pending"))  # not flushed yet
        cached(writer, "figure", (), lambda: calls.append(1))
        cached(writer, "figure", (), lambda: calls.append(1))
        assert len(calls) == 2  # the lookup's autoflush made this a writing transaction
        writer.rollback()
        # A real change now takes the version the rolled-back one had seen: the figure
        # computed from the rolled-back data must not be served under it.
        writer.add(AccountRow(name="Committed", slug="committed"))
        writer.commit()
        cached(writer, "figure", (), lambda: calls.append(1))
        assert len(calls) == 3


def test_each_kind_of_figure_has_its_own_room(app_config: dict[str, Any]) -> None:
    from valuetracker import create_app

    app = create_app({**app_config, "FIGURE_CACHE_SIZE": 2})
    calls: list[str] = []
    with app.test_request_context():
        from valuetracker.db import get_session

        session = get_session()
        cached(session, "portfolio", (), lambda: calls.append("portfolio"))
        for account in range(5):  # more account panels than the size
            cached(session, "panel", (account,), lambda: calls.append("panel"))
        cached(session, "portfolio", (), lambda: calls.append("portfolio"))
        cached(session, "panel", (4,), lambda: calls.append("panel"))
        cached(session, "panel", (0,), lambda: calls.append("panel"))
    assert calls.count("portfolio") == 1  # still kept
    assert calls.count("panel") == 6  # 0 was pushed out by 3 and 4; 4 was kept
    app.extensions["valuetracker.engine"].dispose()


def test_a_figure_keyed_by_its_tables_outlives_writes_to_other_tables(
        app: Flask, session: Any, cast: Any) -> None:
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    def read() -> list[int]:
        with app.test_request_context():
            from valuetracker.db import get_session

            return cached(get_session(), "tiers", ("all",), compute,
                          tables=("account", "account_member"))

    assert read() == [1] and read() == [1]
    make_entry(session, cast.account1, "900", delivered_on=date.today())
    session.commit()
    assert read() == [1]  # a value entry is no account row: the figure is kept
    session.get(Account, cast.account1.id).annual_revenue = 12345  # type: ignore[union-attr]
    session.commit()
    assert read() == [2]
    session.execute(sa.update(Account).where(Account.id == cast.account2.id)
                    .values(cost_to_serve=10))
    session.commit()
    assert read() == [3]  # a bulk statement on the table counts too
    make_account(session, "Never saved")
    session.flush()
    session.rollback()
    assert read() == [3]  # a rolled back write bumps nothing


def test_the_portfolio_keeps_its_tiers_over_a_value_entry_and_shows_an_account_change(
        session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.leader)
    client.get("/portfolio").close()
    account = session.get(Account, cast.account1.id)
    assert account is not None
    account.name = "Renamed Portfolio Co"
    session.commit()
    assert "Renamed Portfolio Co" in client.get("/portfolio").get_data(as_text=True)


def test_the_account_summaries_panel_outlives_a_value_entry_not_a_stakeholder_change(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}"
    client.get(url).close()
    _, warm = _count_statements(app, lambda: client.get(url))
    make_entry(session, cast.account1, "56", delivered_on=date.today())
    session.commit()
    _, after_entry = _count_statements(app, lambda: client.get(url))
    # The value panel (1 statement) is recomputed; the summaries panel (3) is kept.
    assert after_entry == warm + 1
    # The first view after a change: the session user, the account, its team, its people,
    # the data versions, the account's own version (the value panel's key), open
    # signals, weekly health, the value panel, the deals panel (2), the timeline, the tasks
    # panel (page and count in one); the signal weights and the menu's unread count and
    # saved views come from the cache (22 statements once, 17 before these).
    assert after_entry <= 13
    stakeholder = session.exec(select(Stakeholder)
                               .where(Stakeholder.account_id == cast.account1.id)).first()
    assert stakeholder is not None
    stakeholder.is_key = not stakeholder.is_key
    session.commit()
    _, after_stakeholder = _count_statements(app, lambda: client.get(url))
    assert after_stakeholder >= warm + 3


def _account_figure(app: Flask, account_id: int, calls: list[int]) -> int:
    """One request's read of a figure of one account (a new computation appends)."""
    def compute() -> int:
        calls.append(account_id)
        return len(calls)

    with app.test_request_context():
        from valuetracker.db import get_session

        return cached(get_session(), "panel", (account_id,), compute, account=account_id)


def test_a_figure_of_one_account_outlives_writes_to_another_account(
        app: Flask, session: Any, cast: Any) -> None:
    x, y = cast.account1, cast.account2
    calls: list[int] = []
    first = _account_figure(app, y.id, calls)
    assert _account_figure(app, y.id, calls) == first
    make_entry(session, x, "900", delivered_on=date.today())
    session.commit()
    assert _account_figure(app, y.id, calls) == first  # X's entry: Y's figure is kept
    entry = make_entry(session, y, "50", delivered_on=date.today())
    session.commit()
    after_y = _account_figure(app, y.id, calls)
    assert after_y != first  # Y's own entry: recomputed
    make_confirmation(session, entry, cast.stakeholder2, "Yes")  # by entry_id only
    session.commit()
    after_confirmation = _account_figure(app, y.id, calls)
    assert after_confirmation != after_y
    stakeholder = session.get(Stakeholder, cast.stakeholder1.id)
    assert stakeholder is not None
    stakeholder.account_id = y.id  # moved from X to Y: both accounts changed
    session.commit()
    assert _account_figure(app, y.id, calls) != after_confirmation
    assert calls.count(x.id) == 0


def test_a_bulk_statement_on_account_rows_renews_every_account_figure(
        app: Flask, session: Any, cast: Any) -> None:
    from valuetracker.models import ValueEntry

    calls: list[int] = []
    first = _account_figure(app, cast.account2.id, calls)
    session.execute(sa.update(ValueEntry).where(ValueEntry.account_id == cast.account1.id)
                    .values(title="Renamed"))  # whose rows: not told
    session.commit()
    assert _account_figure(app, cast.account2.id, calls) != first
    again = _account_figure(app, cast.account2.id, calls)
    audit.record(session, "login", "user", cast.leader.id, cast.leader.email)
    session.commit()
    assert _account_figure(app, cast.account2.id, calls) == again  # bookkeeping


def test_no_figure_of_an_account_outlives_a_rolled_back_write(
        app: Flask, session: Any, cast: Any) -> None:
    y = cast.account2
    calls: list[int] = []
    committed = _account_figure(app, y.id, calls)
    with app.test_request_context():
        from valuetracker.db import get_session

        writer = get_session()
        make_entry(writer, y, "70", delivered_on=date.today())  # flushed, not committed
        seen = cached(writer, "panel", (y.id,), lambda: calls.append(y.id) or len(calls),
                      account=y.id)
        assert seen != committed  # computed from the uncommitted write, not kept
        writer.rollback()
    assert _account_figure(app, y.id, calls) == committed
    make_entry(session, y, "80", delivered_on=date.today())
    session.commit()
    assert _account_figure(app, y.id, calls) not in (committed, seen)


def test_win_loss_analytics_outlive_a_value_entry_not_a_closed_deal(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.analyst)
    make_deal(session, cast.account1, "won", amount=Decimal("100"))
    session.commit()
    assert "Mid-market (n=1)" not in client.get("/analytics").get_data(as_text=True)
    _, warm = _count_statements(app, lambda: client.get("/analytics"))
    make_entry(session, cast.account1, "900", delivered_on=date.today())
    session.commit()
    _, after_entry = _count_statements(app, lambda: client.get("/analytics"))
    assert after_entry == warm
    make_deal(session, cast.account2, "lost", amount=Decimal("100"))
    session.commit()
    html = client.get("/analytics").get_data(as_text=True)
    assert "Mid-market (n=1)" in html

def _reads(app: Flask, client: Any, url: str, table: str) -> tuple[str, int]:
    """The page at `url` and how many of its statements read `table`."""
    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        html = client.get(url).get_data(as_text=True)
    return html, sum(f"FROM {table}" in " ".join(s.split()) for s in statements)


def test_the_signal_weights_are_kept_until_the_settings_change(
        app: Flask, session: Any, cast: Any) -> None:
    with app.test_request_context(), sql_statements(
            app.extensions["valuetracker.engine"]) as statements:
        first = get_weights(session)
        session.rollback()  # a new transaction: the versions are read again, not the row
        assert get_weights(session) == first
        assert sum("FROM setting" in s for s in statements) == 1
        assert first["key_stakeholder_left"] != 7
        save_weights(session, {"key_stakeholder_left": 7})
        session.commit()
        assert get_weights(session)["key_stakeholder_left"] == 7  # the write: read again
        make_entry(session, cast.account1, "10", delivered_on=date.today())
        session.commit()
        assert get_weights(session)["key_stakeholder_left"] == 7
    assert sum("FROM setting" in s for s in statements) == 3  # not again for a value entry


def test_the_account_page_scores_with_weights_saved_since_its_last_view(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    make_signal(session, cast.account1, "key_stakeholder_left")
    session.commit()
    client = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}"
    before = signals.account_health(session, cast.account1).score
    assert f'data-score="{before}"' in client.get(url).get_data(as_text=True)
    _, reads = _reads(app, client, url, "setting")
    assert reads == 0
    save_weights(session, {"key_stakeholder_left": 0})
    session.commit()
    html, reads = _reads(app, client, url, "setting")
    assert reads == 1 and before < 100
    assert f'data-score="{before}"' not in html and 'data-score="100"' in html


def _notify(session: Any, user: Any, text: str) -> Notification:
    row = Notification(user_id=user.id, event="value.disputed", entity="value_entry",
                       text=text, url="/")
    session.add(row)
    session.commit()
    return row


def test_the_menus_unread_count_is_kept_per_user_until_a_notification_is_written(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    _notify(session, cast.am1, "One")
    _notify(session, cast.am2, "For Bob")
    _notify(session, cast.am2, "For Bob again")
    alice, bob = login_as(cast.am1), login_as(cast.am2)
    assert 'id="unread-count">1<' in alice.get("/").get_data(as_text=True)
    html, reads = _reads(app, alice, "/", "notification")
    assert 'id="unread-count">1<' in html and reads == 0  # kept
    assert 'id="unread-count">2<' in bob.get("/").get_data(as_text=True)  # his own count
    _notify(session, cast.am1, "Two")
    html, reads = _reads(app, alice, "/", "notification")
    assert 'id="unread-count">2<' in html and reads == 1
    mark_all_read(session, cast.am1)  # one bulk UPDATE
    session.commit()
    assert 'id="unread-count"' not in alice.get("/").get_data(as_text=True)
    assert 'id="unread-count">2<' in bob.get("/").get_data(as_text=True)


def test_the_saved_views_menu_is_kept_per_user_until_a_view_is_saved_renamed_or_deleted(
        app: Flask, session: Any, cast: Any, login_as: Any) -> None:
    from valuetracker import saved_views

    alice, bob = login_as(cast.am1), login_as(cast.am2)
    assert "Renewals soon" not in alice.get("/").get_data(as_text=True)
    view = saved_views.save_view(session, cast.am1, name="Renewals soon",
                                 endpoint="accounts.index", query="tier=strategic")
    session.commit()
    html, reads = _reads(app, alice, "/", "saved_view")
    assert "Renewals soon" in html and reads == 1
    html, reads = _reads(app, alice, "/", "saved_view")
    assert "Renewals soon" in html and reads == 0  # kept
    assert "Renewals soon" not in bob.get("/").get_data(as_text=True)  # hers only
    saved_views.rename_view(session, view, name="Strategic renewals", user=cast.am1)
    session.commit()
    html = alice.get("/").get_data(as_text=True)
    assert "Strategic renewals" in html and "Renewals soon" not in html
    saved_views.delete_view(session, view, user=cast.am1)
    session.commit()
    assert "Strategic renewals" not in alice.get("/").get_data(as_text=True)


def test_each_table_counted_on_its_own_has_a_row_of_its_own() -> None:
    # Row 1 is the global version and rows 0 and below are per-account versions: two
    # tables sharing an id would renew each other's figures, or miss one's writes.
    from valuetracker.cache import TABLE_VERSIONS

    ids = list(TABLE_VERSIONS.values())
    assert len(set(ids)) == len(ids)
    assert min(ids) > 1
