"""cache scopes: one token per cached scope instead of one settings token for everything

Revision ID: 0011_perf
Revises: 0010
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_perf'
down_revision = '0011_security'
branch_labels = None
depends_on = None

SCOPES = ("facilities", "agreements", "suspensions")


def upgrade():
    table = op.create_table('cache_scopes',
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_cache_scopes'))
    )
    # Every scope has a token from the start: the hot paths cache from the first request on.
    op.bulk_insert(table, [{"scope": s, "token": secrets.token_hex(16)} for s in SCOPES])
    op.drop_table('settings_token')


def downgrade():
    op.create_table('settings_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settings_token'))
    )
    op.drop_table('cache_scopes')
