"""webhooks: endpoints and their deliveries (the outbox and the delivery log)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from valuetracker.migrations.columns import columns, create_indexes, drop_table, foreign_keys

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_endpoint',
        *columns(
            'id:int url:str2000 description:str200? events:json secret:str100'
            ' enabled:bool created_by_id:int? failing_since:utc? disabled_reason:str500?'
            ' version:int created_at:utc updated_at:utc'),
        *foreign_keys('created_by_id>user'),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('webhook_delivery',
        *columns(
            'id:int endpoint_id:int event_id:str40 event:str60 body:text status:str20'
            ' attempt:int next_attempt_at:utc? last_attempt_at:utc? response_code:int?'
            ' duration_ms:int? response_body:text? error:str500? replay_of_id:int?'
            ' created_at:utc'),
        *foreign_keys('endpoint_id>webhook_endpoint CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    create_indexes('webhook_delivery', 'ix_webhook_delivery_due=status next_attempt_at',
                   'ix_webhook_delivery_endpoint=endpoint_id id')


def downgrade() -> None:
    drop_table('webhook_delivery', 'ix_webhook_delivery_endpoint', 'ix_webhook_delivery_due')
    drop_table('webhook_endpoint')
