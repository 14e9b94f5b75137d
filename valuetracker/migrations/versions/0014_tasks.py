"""tasks and their comments

`task`: what someone on an account team has to do (made by a person, or by a play
from a signal: once per signal occurrence, `uq_task_signal_play`), and
`task_comment`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, create_indexes, drop_table, foreign_keys

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('task',
        *columns(
            'id:int account_id:int stakeholder_id:int? title:str200 assignee_id:int?'
            ' due_on:date? status:str20 dismissed_reason:text? source:str20 signal_id:int?'
            ' play:str60? created_by_id:int? created_at:utc done_at:utc? version:int'),
        *foreign_keys('account_id>account', 'assignee_id>user', 'created_by_id>user',
                      'signal_id>signal SET NULL', 'stakeholder_id>stakeholder SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('signal_id', 'play', name='uq_task_signal_play'))
    create_indexes('task', 'ix_task_account_status=account_id status',
                   'ix_task_assignee_status_due=assignee_id status due_on', 'signal_id')

    op.create_table('task_comment',
        *columns('id:int task_id:int author_id:int? text:text created_at:utc'),
        *foreign_keys('author_id>user', 'task_id>task CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    create_indexes('task_comment', 'task_id')


def downgrade() -> None:
    drop_table('task_comment', 'ix_task_comment_task_id')
    drop_table('task', 'ix_task_signal_id', 'ix_task_assignee_status_due',
               'ix_task_account_status')
