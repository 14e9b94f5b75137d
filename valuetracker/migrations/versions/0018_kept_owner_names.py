"""owners kept as written: a CRM rep who is not a user of the app

`deal.owner_name` and `account.owner_name` hold the owner's name as an import read it
when no user matches (most sales reps in a CRM never log in here); they are empty
whenever `owner_id` names a user.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:15:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ANALYTICS = ['outcome', 'closed_on', 'account_id', 'rep_reason_id', 'amount', 'owner_id',
              'product', 'id']


def upgrade() -> None:
    for table in ('deal', 'account'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('owner_name',
                                          sqlmodel.sql.sqltypes.AutoString(length=200),
                                          nullable=True))
    # The win/loss covering index gains the kept name, so grouping by owner stays
    # index-only.
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_closed_analytics')
        batch_op.create_index('ix_deal_closed_analytics', [*_ANALYTICS, 'owner_name'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_closed_analytics')
        batch_op.create_index('ix_deal_closed_analytics', _ANALYTICS, unique=False)
    for table in ('account', 'deal'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('owner_name')
