"""draw: facility allocation and draw time, draws and their applications, draw notices

Revision ID: 0014_draw
Revises: 0012_waitlist
"""
from alembic import op
import sqlalchemy as sa

import booking.dbtypes


# revision identifiers, used by Alembic.
revision = '0014_draw'
down_revision = '0015_series'
branch_labels = None
depends_on = None

KINDS = ("kind IN ('approved','rejected','cancelled_by_host','waitlist_booked','waitlist_offered',"
         "'waitlist_skipped','waitlist_expired'")


def upgrade():
    op.create_table('draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('start_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('draw_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('seed_sha256', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=40), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('ran_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'done' OR result IS NOT NULL", name=op.f('ck_draws_result')),
    sa.CheckConstraint("status IN ('open','running','done')", name=op.f('ck_draws_status')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_draws_facility_id_facilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['organizations.id'], name=op.f('fk_draws_host_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draws'))
    )
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.create_index('ix_draws_status_draw_at', ['status', 'draw_at'], unique=False)
        batch_op.create_index('ux_draws_slot', ['facility_id', 'start_at'], unique=True)

    op.create_table('draw_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('waitlist_id', sa.Integer(), nullable=True),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'won' OR reservation_id IS NOT NULL", name=op.f('ck_draw_applications_won')),
    sa.CheckConstraint("status IN ('applied','won','waitlisted','refused','cancelled')", name=op.f('ck_draw_applications_status')),
    sa.CheckConstraint('party_size > 0 AND places > 0 AND places <= party_size', name=op.f('ck_draw_applications_places')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_draw_applications_draw_id_draws'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organizations.id'], name=op.f('fk_draw_applications_enterprise_id_organizations')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_draw_applications_reservation_id_reservations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_draw_applications_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['waitlist_id'], ['waitlist_entries.id'], name=op.f('fk_draw_applications_waitlist_id_waitlist_entries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_applications'))
    )
    with op.batch_alter_table('draw_applications', schema=None) as batch_op:
        batch_op.create_index('ix_draw_applications_draw', ['draw_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_draw_applications_user', ['user_id', 'id'], unique=False)
        batch_op.create_index('ux_draw_applications_active', ['draw_id', 'user_id'], unique=True, sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))

    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocation', sa.String(length=12), server_default='first_come', nullable=False))
        batch_op.add_column(sa.Column('draw_days_before', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('draw_minute', sa.Integer(), server_default='720', nullable=False))
        batch_op.create_check_constraint('allocation', "allocation IN ('first_come','draw')")
        batch_op.create_check_constraint(
            'draw_time', 'draw_days_before BETWEEN 0 AND 365 AND draw_minute BETWEEN 0 AND 1439')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', KINDS + ",'draw_won','draw_waitlisted')")



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', KINDS + ")")

    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_facilities_draw_time'), type_='check')
        batch_op.drop_constraint(op.f('ck_facilities_allocation'), type_='check')
        batch_op.drop_column('draw_minute')
        batch_op.drop_column('draw_days_before')
        batch_op.drop_column('allocation')

    with op.batch_alter_table('draw_applications', schema=None) as batch_op:
        batch_op.drop_index('ux_draw_applications_active', sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index('ix_draw_applications_user')
        batch_op.drop_index('ix_draw_applications_draw')

    op.drop_table('draw_applications')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_index('ux_draws_slot')
        batch_op.drop_index('ix_draws_status_draw_at')

    op.drop_table('draws')
