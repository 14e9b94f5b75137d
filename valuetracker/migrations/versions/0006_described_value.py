"""value the customer described: entries without a driver or an amount

An answer to "Did we deliver value we did not list?" becomes an entry in evidence status
`described`: the customer's words, with no driver and no amount until the account team
reviews it. So `value_entry.driver` and `value_entry.amount` may be NULL (only such
entries leave them empty; every other entry keeps both).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import valuetracker.models.base

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('value_entry', schema=None) as batch_op:
        batch_op.alter_column('driver', existing_type=sa.String(length=32), nullable=True)
        batch_op.alter_column('amount', existing_type=valuetracker.models.base.MONEY,
                              nullable=True)


def downgrade() -> None:
    # Entries still waiting for review have no figure: give them 0 and `strategic`, as
    # before this version, so the columns can be required again.
    op.execute("UPDATE value_entry SET amount = 0 WHERE amount IS NULL")
    op.execute("UPDATE value_entry SET driver = 'strategic' WHERE driver IS NULL")
    op.execute("UPDATE value_entry SET evidence_status = 'claimed' "
               "WHERE evidence_status = 'described'")
    with op.batch_alter_table('value_entry', schema=None) as batch_op:
        batch_op.alter_column('amount', existing_type=valuetracker.models.base.MONEY,
                              nullable=False)
        batch_op.alter_column('driver', existing_type=sa.String(length=32), nullable=False)
