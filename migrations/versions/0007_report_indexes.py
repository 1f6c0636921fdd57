"""report indexes: the (host_id, status, start_at) index becomes covering for the usage reports

The new index starts with the same three columns, so every query that used the old one uses
it; the columns after them let the reports' aggregates read the index alone (monthly district
report over 1 M reservations: docs/benchmarks.md). Index operations only: no table copy.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:06:31.631163

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ['host_id', 'status', 'start_at', 'facility_id', 'enterprise_id', 'user_id', 'week_start', 'end_at',
           'places']


def upgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_host_status_start'))
        batch_op.create_index('ix_reservations_host_status_start_cover', COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_host_status_start_cover')
        batch_op.create_index(batch_op.f('ix_reservations_host_status_start'), ['host_id', 'status', 'start_at'],
                              unique=False)
