"""deal rollups: win/loss counts per month of closing, kept with every deal write

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 06:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deal_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('ref2_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Integer(), nullable=False),
    sa.Column('weighted', sa.Integer(), nullable=False),
    sa.Column('importance_sum', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_deal_rollup_kind_month', 'deal_rollup', ['kind', 'month'], unique=False)
    # Existing deals and interviews are counted once, set-based (the same statements the
    # app runs for a full rebuild).
    from valuetracker.rollups.deals import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_deal_rollup_kind_month', table_name='deal_rollup')
    op.drop_table('deal_rollup')
