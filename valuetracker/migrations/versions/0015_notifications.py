"""notifications: messages to users, their preferences, and the digests sent

`notification` (one message to one user about one event, read and e-mailed marks),
`notification_preference` (a user's choice per event and channel; no row = the
default), `digest_send` (one digest per user and period, unique, claimed before it
is sent) and the user's `digest_frequency` (daily for everyone to begin with).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:15:10.815713
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from valuetracker.migrations.columns import columns, create_indexes, drop_table, foreign_keys

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_send',
        *columns(
            'id:int user_id:int period:str10 period_key:str10 status:str10'
            ' window_start:utc window_end:utc counts:json? created_at:utc sent_at:utc?'
            ' message_id:str255? error:text?'),
        *foreign_keys('user_id>user CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'period', 'period_key'))
    create_indexes('digest_send', 'user_id')

    op.create_table('notification_preference',
        *columns('user_id:int event:str40 channel:str20 enabled:bool'),
        *foreign_keys('user_id>user CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'event', 'channel'))
    op.create_table('notification',
        *columns(
            'id:int user_id:int event:str40 account_id:int? entity:str60 entity_id:int?'
            ' text:str500 url:str500 in_app:bool email:bool created_at:utc read_at:utc?'
            ' emailed_at:utc? email_attempts:int email_error:text?'),
        *foreign_keys('account_id>account CASCADE', 'user_id>user CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    create_indexes('notification', 'account_id',
                   'ix_notification_email_due=email emailed_at',
                   'ix_notification_user_created=user_id created_at',
                   'ix_notification_user_read=user_id read_at')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_frequency', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='daily', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('digest_frequency')

    drop_table('notification', 'ix_notification_user_read', 'ix_notification_user_created',
               'ix_notification_email_due', 'ix_notification_account_id')
    drop_table('notification_preference')
    drop_table('digest_send', 'ix_digest_send_user_id')
