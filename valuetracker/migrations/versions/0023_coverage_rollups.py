"""coverage rollups: key stakeholders per account, and those sent each quarter's summary

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 12:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, drop_table

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_coverage_rollup',
        *columns('account_id:int key_people:int reachable:int'),
        sa.PrimaryKeyConstraint('account_id'))
    op.create_table('account_sent_rollup',
        *columns('account_id:int quarter:var7 sent:int'),
        sa.PrimaryKeyConstraint('account_id', 'quarter'))
    # Existing stakeholders and sendings are counted once, set-based.
    from valuetracker.rollups.coverage import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    drop_table('account_sent_rollup')
    drop_table('account_coverage_rollup')
