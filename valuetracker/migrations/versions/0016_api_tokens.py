"""api tokens: personal bearer tokens for the JSON API

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import valuetracker.models.base

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('created_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_api_token_user_id', 'api_token', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_token_user_id', table_name='api_token')
    op.drop_table('api_token')
