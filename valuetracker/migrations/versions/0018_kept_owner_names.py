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


def upgrade() -> None:
    for table in ('deal', 'account'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('owner_name',
                                          sqlmodel.sql.sqltypes.AutoString(length=200),
                                          nullable=True))


def downgrade() -> None:
    for table in ('account', 'deal'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('owner_name')
