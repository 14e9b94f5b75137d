"""api tokens: personal bearer tokens for the JSON API

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, drop_table, foreign_keys

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_token',
        *columns(
            'id:int user_id:int name:var100 token_hash:var64 scope:var10 created_at:utc'
            ' expires_at:utc? last_used_at:utc? revoked_at:utc?'),
        *foreign_keys('user_id>user'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'))
    op.create_index('ix_api_token_user_id', 'api_token', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_token_user_id', table_name='api_token')
    drop_table('api_token')
