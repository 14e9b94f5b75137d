"""access links remember their one reminder

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import valuetracker.models.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'reminded_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
