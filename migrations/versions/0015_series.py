"""series: a weekly team booking as one thing (reservation_series, series_pauses, reservations.series_id)

Revision ID: 0015_series
Revises: 0012_waitlist
"""
from alembic import op
import sqlalchemy as sa

import booking.dbtypes


# revision identifiers, used by Alembic.
revision = '0015_series'
down_revision = '0013_notify'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reservation_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('first_start_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('active','cancelled')", name=op.f('ck_reservation_series_status')),
    sa.CheckConstraint('weeks BETWEEN 1 AND 26', name=op.f('ck_reservation_series_weeks')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_reservation_series_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reservation_series_created_by_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organizations.id'], name=op.f('fk_reservation_series_enterprise_id_organizations')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_reservation_series_facility_id_facilities')),
    sa.ForeignKeyConstraint(['host_id'], ['organizations.id'], name=op.f('fk_reservation_series_host_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_series'))
    )
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_series_enterprise', ['enterprise_id', 'id'], unique=False)
    op.create_table('series_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_series_pauses_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_series_pauses_created_by_id_users')),
    sa.ForeignKeyConstraint(['series_id'], ['reservation_series.id'], name=op.f('fk_series_pauses_series_id_reservation_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series_pauses'))
    )
    with op.batch_alter_table('series_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_pauses_series_id'), ['series_id'], unique=False)
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reservations_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reservations_series_id_reservation_series'), 'reservation_series', ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reservations_series_id_reservation_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reservations_series_id'))
        batch_op.drop_column('series_id')
    with op.batch_alter_table('series_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_pauses_series_id'))
    op.drop_table('series_pauses')
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_series_enterprise')
    op.drop_table('reservation_series')
