"""deals list by outcome sorted by amount: an index (outcome, amount, id)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 15:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deal_outcome_amount', 'deal', ['outcome', 'amount', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_deal_outcome_amount', table_name='deal')
