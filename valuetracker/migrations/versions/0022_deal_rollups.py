"""deal rollups: win/loss counts per month of closing, kept with every deal write

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 06:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, drop_table

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deal_rollup',
        *columns(
            'id:int kind:var20 month:date? outcome:var20 ref_id:int? ref2_id:int?'
            ' label:var200? n:int amount:num18? rated:int rating_sum:int weighted:int'
            ' importance_sum:int'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_deal_rollup_kind_month', 'deal_rollup', ['kind', 'month'], unique=False)
    # Existing deals and interviews are counted once, set-based (the same statements the
    # app runs for a full rebuild).
    from valuetracker.rollups.deals import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_deal_rollup_kind_month', table_name='deal_rollup')
    drop_table('deal_rollup')
