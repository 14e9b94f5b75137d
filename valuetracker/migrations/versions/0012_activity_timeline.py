"""activity timeline: logged notes, calls, meetings and e-mails

The team's activities (`activity`) and the stakeholders each was with
(`activity_stakeholder`). A stakeholder's "last contacted" now derives from their
timeline; the date recorded so far is kept in `contacted_before_timeline_on`, so it
still counts (activities/contact.py).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 22:46:59.860131
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, create_indexes, drop_table, foreign_keys

revision: str = '0012'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activity',
        *columns(
            'id:int account_id:int kind:str20 occurred_on:date user_id:int? summary:text'
            ' outcome:text? version:int created_at:utc updated_at:utc'),
        *foreign_keys('account_id>account', 'user_id>user'),
        sa.PrimaryKeyConstraint('id'))
    create_indexes('activity', 'ix_activity_account_occurred=account_id occurred_on',
                   'user_id')

    op.create_table('activity_stakeholder',
        *columns('activity_id:int stakeholder_id:int'),
        *foreign_keys('activity_id>activity CASCADE', 'stakeholder_id>stakeholder CASCADE'),
        sa.PrimaryKeyConstraint('activity_id', 'stakeholder_id'))
    create_indexes('activity_stakeholder', 'stakeholder_id')

    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contacted_before_timeline_on', sa.Date(),
                                      nullable=True))
    # The dates typed in until now have no activity behind them: keep them as the floor
    # of each person's "last contacted", so the upgrade loses none.
    op.execute('UPDATE stakeholder SET contacted_before_timeline_on = last_contacted_on')


def downgrade() -> None:
    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.drop_column('contacted_before_timeline_on')

    drop_table('activity_stakeholder', 'ix_activity_stakeholder_stakeholder_id')
    drop_table('activity', 'ix_activity_user_id', 'ix_activity_account_occurred')
