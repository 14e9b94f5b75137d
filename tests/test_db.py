"""Schema, migrations, SQLite pragmas and optimistic locking."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from valuetracker.db import StaleEditError, check_version, get_session, id_arg
from valuetracker.models import Account, metadata
from valuetracker.search import not_index_table


def test_migrations_match_models(app: Any) -> None:
    """The Alembic head builds exactly the tables the models declare."""
    engine = app.extensions["valuetracker.engine"]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": False, "include_object": not_index_table})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_postgresql_only_deal_index_is_built_there_alone(app: Any) -> None:
    """The deals list's descending index, declared for PostgreSQL only (and so left out of
    the comparison above), is built with its column order there, and not on SQLite."""
    engine = app.extensions["valuetracker.engine"]
    declared = {ix.name: ix for ix in metadata.tables["deal"].indexes}
    assert declared["ix_deal_outcome_amount_desc"].info == {"dialect": "postgresql"}
    built = {ix["name"]: ix for ix in sa.inspect(engine).get_indexes("deal")}
    if engine.dialect.name == "sqlite":
        assert "ix_deal_outcome_amount_desc" not in built
        assert "ix_deal_outcome_amount" in built
        return
    index = built["ix_deal_outcome_amount_desc"]
    assert index["column_names"] == ["outcome", "amount", "id"]
    assert index["column_sorting"] == {"amount": ("desc", "nulls_last"), "id": ("desc",)}


def test_sqlite_pragmas(app: Any) -> None:
    engine = app.extensions["valuetracker.engine"]
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"  # nothing to check there
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_check_version_refuses_stale_edit(app: Any, cast: Any) -> None:
    with app.app_context():
        s1 = get_session()
        account = s1.get(Account, cast.account1.id)
        check_version(s1, account, 1)
        account.industry = "Manufacturing"
        s1.commit()
        assert account.version == 2
        with pytest.raises(StaleEditError):
            check_version(s1, account, 1)


HUGE_ID = "99999999999999999999"  # past every database integer type


@pytest.mark.parametrize("path", [
    f"/deals/{HUGE_ID}", f"/stakeholders/{HUGE_ID}", f"/admin/users/{HUGE_ID}/edit",
    f"/accounts/acme-corp/value/entries/{HUGE_ID}/edit", f"/jobs/{HUGE_ID}",
    f"/interviews/{2**31}",
])
def test_an_id_past_the_database_range_is_404_not_500(login_as: Any, cast: Any,
                                                      path: str) -> None:
    """QA: `<int:id>` URLs with a huge number overflowed the driver (500 on every dialect)."""
    client = login_as(cast.admin)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in (404, 405)


def test_id_arg_ignores_non_ids() -> None:
    assert id_arg("42") == 42
    for value in (None, "", "x", "-1", "1e3", HUGE_ID, str(2**31)):
        assert id_arg(value) is None
