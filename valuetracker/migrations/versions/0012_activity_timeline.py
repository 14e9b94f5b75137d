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
import sqlmodel
from alembic import op

import valuetracker.models.base

revision: str = '0012'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_account_occurred', ['account_id', 'occurred_on'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_activity_user_id'), ['user_id'], unique=False)

    op.create_table('activity_stakeholder',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('stakeholder_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stakeholder_id'], ['stakeholder.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'stakeholder_id')
    )
    with op.batch_alter_table('activity_stakeholder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_stakeholder_stakeholder_id'),
                              ['stakeholder_id'], unique=False)

    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contacted_before_timeline_on', sa.Date(),
                                      nullable=True))
    # The dates typed in until now have no activity behind them: keep them as the floor
    # of each person's "last contacted", so the upgrade loses none.
    op.execute('UPDATE stakeholder SET contacted_before_timeline_on = last_contacted_on')


def downgrade() -> None:
    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.drop_column('contacted_before_timeline_on')

    with op.batch_alter_table('activity_stakeholder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_stakeholder_stakeholder_id'))

    op.drop_table('activity_stakeholder')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_user_id'))
        batch_op.drop_index('ix_activity_account_occurred')

    op.drop_table('activity')
