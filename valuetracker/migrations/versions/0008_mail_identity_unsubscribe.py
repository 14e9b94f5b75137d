"""a user's title (it signs customer mail); how a stakeholder opted out

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opted_out_via',
                                      sqlmodel.sql.sqltypes.AutoString(length=30),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stakeholder', schema=None) as batch_op:
        batch_op.drop_column('opted_out_via')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('title')
