"""user sessions kept on the server

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, create_indexes, drop_table, foreign_keys

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_session',
        *columns('id:str64 user_id:int created_at:utc ended_at:utc? ip:str64? user_agent:str255?'),
        *foreign_keys('user_id>user'),
        sa.PrimaryKeyConstraint('id'))
    create_indexes('user_session', 'user_id')


def downgrade() -> None:
    drop_table('user_session', 'ix_user_session_user_id')
