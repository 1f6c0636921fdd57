"""facility rules version: every change that can move or remove slots bumps it

Revision ID: 0011_integrity
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_integrity'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('rules_version')
