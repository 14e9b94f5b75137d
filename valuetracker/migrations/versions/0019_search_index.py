"""search index: full-text search over accounts, people, deals, value, quotes, interviews

SQLite: an FTS5 table `search_index`; PostgreSQL: `search_document` with a generated
tsvector and a GIN index. Triggers on the source tables keep it current in the writer's
transaction (valuetracker/search.py, `install_index`), and it is filled from the rows
already there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 02:30:00
"""
from collections.abc import Sequence

from alembic import op

from valuetracker.search import SOURCES, install_index

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install_index(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    for source in SOURCES:
        if postgres:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS search_{source.kind} ON {source.table}")
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS search_{source.kind}()")
        else:
            for action in ("insert", "update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS search_{source.kind}_{action}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS " + ("search_document" if postgres
                                                    else "search_index"))
