"""saved views: a user's named, filtered lists

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 03:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import valuetracker.models.base

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('endpoint', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name', name='uq_saved_view_user_name')
    )
    op.create_index('ix_saved_view_user_id', 'saved_view', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_saved_view_user_id', table_name='saved_view')
    op.drop_table('saved_view')
