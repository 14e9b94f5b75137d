"""value rollups: value per account/segment, month and driver; pulses' driver rankings

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(16, 2)


def _value_columns() -> list[sa.Column]:
    return [sa.Column('entries', sa.Integer(), nullable=False),
            sa.Column('amount', MONEY, nullable=False),
            sa.Column('confirmed', MONEY, nullable=False)]


def _drift_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False)
            for name in ('rankings', 'places', 'left_out2', 'firsts', 'first_left_out2')]


def upgrade() -> None:
    for name, columns in (('value', _value_columns), ('drift', _drift_columns)):
        op.create_table(
            f'account_{name}_rollup',
            sa.Column('account_id', sa.Integer(), nullable=False),
            sa.Column('month', sa.Date(), nullable=False),
            sa.Column('driver', sa.String(length=40), nullable=False),
            sa.Column('segment', sa.String(length=80), nullable=False),
            *columns(),
            sa.PrimaryKeyConstraint('account_id', 'month', 'driver'))
        op.create_table(
            f'segment_{name}_rollup',
            sa.Column('segment', sa.String(length=80), nullable=False),
            sa.Column('month', sa.Date(), nullable=False),
            sa.Column('driver', sa.String(length=40), nullable=False),
            *columns(),
            sa.PrimaryKeyConstraint('segment', 'month', 'driver'))
    # Existing data: the rollups are built from it once.
    from valuetracker.rollups.build import rebuild_all
    rebuild_all(op.get_bind())


def downgrade() -> None:
    for name in ('value', 'drift'):
        op.drop_table(f'segment_{name}_rollup')
        op.drop_table(f'account_{name}_rollup')
