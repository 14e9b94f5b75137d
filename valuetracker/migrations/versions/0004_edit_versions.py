"""edit versions, stakeholder external ids unique per account

Optimistic locking on every editable object: a `version` column (existing rows start at
1) on value entries, commitments, interviews, guides and their questions, program rules,
decision factors, users and settings (branding). And a stakeholder's external id names one person within
an account: a unique index on (account_id, external_id); NULLs stay allowed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import create_indexes, drop_indexes

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ('value_entry', 'value_commitment', 'winloss_interview', 'interview_guide',
             'guide_question', 'program_rule', 'decision_factor', 'user', 'setting')


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))

    # Until now imports matched external ids across accounts, so one account cannot
    # hold an id twice; say which rows if it somehow does, rather than fail obscurely.
    duplicates = op.get_bind().execute(sa.text(
        'SELECT account_id, external_id, COUNT(*) FROM stakeholder '
        'WHERE external_id IS NOT NULL GROUP BY account_id, external_id HAVING COUNT(*) > 1'
    )).fetchall()
    if duplicates:
        listed = '; '.join(f'account {a}: "{e}" ({n} people)' for a, e, n in duplicates[:20])
        raise RuntimeError('Stakeholder external ids must be unique within an account; '
                           f'clear or change the duplicates first: {listed}')
    create_indexes('stakeholder',
                   'uq_stakeholder_account_external_id=account_id external_id!')


def downgrade() -> None:
    drop_indexes('stakeholder', 'uq_stakeholder_account_external_id')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
