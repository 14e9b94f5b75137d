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

import valuetracker.models.base

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('window_start', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('created_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'period', 'period_key')
    )
    with op.batch_alter_table('digest_send', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_send_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event', 'channel')
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('created_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', valuetracker.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_notification_email_due', ['email', 'emailed_at'], unique=False)
        batch_op.create_index('ix_notification_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_frequency', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='daily', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('digest_frequency')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index('ix_notification_user_created')
        batch_op.drop_index('ix_notification_email_due')
        batch_op.drop_index(batch_op.f('ix_notification_account_id'))

    op.drop_table('notification')
    op.drop_table('notification_preference')
    with op.batch_alter_table('digest_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_send_user_id'))

    op.drop_table('digest_send')
