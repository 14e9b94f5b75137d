"""signals and weekly account health

`signal`: one occurrence of a named fact about an account or a person (kind, severity,
the date it began, when it was cleared); at most one open occurrence per account, kind
and key. `health_snapshot`: an account's health score per week (the week's Monday).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 02:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, drop_table, foreign_keys

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signal',
        *columns(
            'id:int account_id:int kind:str40 severity:str10 key:str80'
            ' stakeholder_id:int? subject_type:str40? subject_id:int? message:text'
            ' since:date opened_at:utc cleared_at:utc? details:json?'),
        *foreign_keys('account_id>account CASCADE', 'stakeholder_id>stakeholder SET NULL'),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index('ix_signal_account_cleared', ['account_id', 'cleared_at'],
                              unique=False)
        batch_op.create_index('ix_signal_opened_at', ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_stakeholder_id'), ['stakeholder_id'],
                              unique=False)
        # One open occurrence per account, kind and key; cleared ones are history.
        batch_op.create_index('uq_signal_open', ['account_id', 'kind', 'key'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))

    op.create_table('health_snapshot',
        *columns('id:int account_id:int week:date score:int band:str10 updated_at:utc'),
        *foreign_keys('account_id>account CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'week'))


def downgrade() -> None:
    drop_table('health_snapshot')
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index('uq_signal_open', sqlite_where=sa.text('cleared_at IS NULL'),
                            postgresql_where=sa.text('cleared_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_signal_stakeholder_id'))
        batch_op.drop_index('ix_signal_opened_at')
        batch_op.drop_index('ix_signal_account_cleared')
    drop_table('signal')
