"""waitlist: entries per slot, each host's offer setting, waitlist notices

Revision ID: 0012_waitlist
Revises: 0011_idem
"""
from alembic import op
import sqlalchemy as sa

import booking.dbtypes


# revision identifiers, used by Alembic.
revision = '0012_waitlist'
down_revision = '0011_perf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waitlist_settings',
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('offer_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('offer_minutes BETWEEN 1 AND 1440', name=op.f('ck_waitlist_settings_offer_minutes')),
    sa.ForeignKeyConstraint(['host_id'], ['organizations.id'], name=op.f('fk_waitlist_settings_host_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('host_id', name=op.f('pk_waitlist_settings'))
    )
    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('start_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('auto_book', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('offer_expires_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', booking.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'booked' OR reservation_id IS NOT NULL", name=op.f('ck_waitlist_entries_booked')),
    sa.CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name=op.f('ck_waitlist_entries_offer')),
    sa.CheckConstraint("status IN ('waiting','offered','booked','expired','skipped','cancelled')", name=op.f('ck_waitlist_entries_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_waitlist_entries_period')),
    sa.CheckConstraint('party_size > 0 AND places > 0 AND places <= party_size', name=op.f('ck_waitlist_entries_places')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organizations.id'], name=op.f('fk_waitlist_entries_enterprise_id_organizations')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_waitlist_entries_facility_id_facilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['organizations.id'], name=op.f('fk_waitlist_entries_host_id_organizations')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_waitlist_entries_reservation_id_reservations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_waitlist_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_slot', ['facility_id', 'start_at', 'status', 'id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_status_expires', ['status', 'offer_expires_at'], unique=False)
        batch_op.create_index('ix_waitlist_entries_user', ['user_id', 'id'], unique=False)
        batch_op.create_index('ux_waitlist_entries_active', ['user_id', 'facility_id', 'start_at'], unique=True, sqlite_where=sa.text("status IN ('waiting','offered')"), postgresql_where=sa.text("status IN ('waiting','offered')"))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_entry_id', sa.Integer(), nullable=True))
        batch_op.alter_column('reservation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_waitlist_entry_id_waitlist_entries'), 'waitlist_entries', ['waitlist_entry_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('approved','rejected','cancelled_by_host','waitlist_booked','waitlist_offered','waitlist_skipped','waitlist_expired')")



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('approved','rejected','cancelled_by_host')")
        batch_op.drop_constraint(batch_op.f('fk_notifications_waitlist_entry_id_waitlist_entries'), type_='foreignkey')
        batch_op.alter_column('reservation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('waitlist_entry_id')

    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ux_waitlist_entries_active', sqlite_where=sa.text("status IN ('waiting','offered')"), postgresql_where=sa.text("status IN ('waiting','offered')"))
        batch_op.drop_index('ix_waitlist_entries_user')
        batch_op.drop_index('ix_waitlist_entries_status_expires')
        batch_op.drop_index('ix_waitlist_entries_slot')

    op.drop_table('waitlist_entries')
    op.drop_table('waitlist_settings')
