"""deals list by amount, largest first, on PostgreSQL: an index (outcome, amount DESC NULLS
LAST, id DESC)

PostgreSQL puts NULLs first in a descending scan of ix_deal_outcome_amount, so that order
sorted every deal of the outcome; SQLite reads it backwards and gets no index here.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 02:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_deal_outcome_amount_desc ON deal '
                   '(outcome, amount DESC NULLS LAST, id DESC)')


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.drop_index('ix_deal_outcome_amount_desc', table_name='deal')
