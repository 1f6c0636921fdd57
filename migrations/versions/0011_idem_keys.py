"""idempotency keys

Revision ID: 0011_idem
Revises: 0010
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa

import booking.dbtypes


# revision identifiers, used by Alembic.
revision = '0011_idem'
down_revision = '0011_integrity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'idempotency_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('caller', sa.String(length=40), nullable=False),
        sa.Column('idem_key', sa.String(length=64), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=80), nullable=True),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('location', sa.String(length=2000), nullable=True),
        sa.Column('flashes', sa.Text(), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint('status_code IS NULL OR (status_code >= 100 AND status_code <= 599)',
                           name=op.f('ck_idempotency_keys_status_code')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
        sa.UniqueConstraint('caller', 'idem_key', name=op.f('uq_idempotency_keys_caller_idem_key')),
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')
    op.drop_table('idempotency_keys')
