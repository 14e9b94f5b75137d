"""saved views: a user's named, filtered lists

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 03:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, drop_table, foreign_keys

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_view',
        *columns('id:int user_id:int name:var80 endpoint:var80 query:var2000 created_at:utc'),
        *foreign_keys('user_id>user'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name', name='uq_saved_view_user_name'))
    op.create_index('ix_saved_view_user_id', 'saved_view', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_saved_view_user_id', table_name='saved_view')
    drop_table('saved_view')
