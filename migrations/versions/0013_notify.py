"""notifications: outbox, settings, Web Push subscriptions

Revision ID: 0013_notify
Revises: 0011_idem
Create Date: 2026-11-30 03:22:16.123008

"""
from alembic import op
import sqlalchemy as sa

import booking.dbtypes


# revision identifiers, used by Alembic.
revision = '0013_notify'
down_revision = '0012_waitlist'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_verified_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_on', sa.Boolean(), nullable=False),
    sa.Column('push_on', sa.Boolean(), nullable=False),
    sa.Column('wecom_on', sa.Boolean(), nullable=False),
    sa.Column('wecom_user', sa.String(length=64), nullable=True),
    sa.Column('reminder_minutes', sa.Integer(), nullable=False),
    sa.Column('quiet_start', sa.Integer(), nullable=False),
    sa.Column('quiet_end', sa.Integer(), nullable=False),
    sa.CheckConstraint('quiet_start >= 0 AND quiet_start < 1440 AND quiet_end >= 0 AND quiet_end < 1440', name=op.f('ck_notification_settings_quiet_hours')),
    sa.CheckConstraint('reminder_minutes >= 0 AND reminder_minutes <= 1440', name=op.f('ck_notification_settings_reminder_minutes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1000), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('sent_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('email','push','wecom')", name=op.f('ck_outbox_messages_channel')),
    sa.CheckConstraint("status IN ('pending','sending','sent','dead')", name=op.f('ck_outbox_messages_status')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_outbox_messages_reservation_id_reservations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('channel', 'dedupe_key', name=op.f('uq_outbox_messages_channel_dedupe_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_user_id'), ['user_id'], unique=False)




def downgrade():

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_user_id'))
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_user_id'))

    op.drop_table('push_subscriptions')
    op.drop_table('notification_settings')

