"""data export requests, account erasure and retention

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 13:20:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_exports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'ready', 'expired', name='exportstatus', native_enum=False, length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('storage_key', sa.String(length=255), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    op.create_index('ix_data_exports_status_expires_at', 'data_exports', ['status', 'expires_at'], unique=False)
    op.create_index('ix_data_exports_user_id_requested_at', 'data_exports', ['user_id', 'requested_at'], unique=False)
    # The retention sweep of sign-in events (IP addresses) by age.
    op.create_index('ix_login_events_created_at', 'login_events', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_login_events_created_at', table_name='login_events')
    op.drop_index('ix_data_exports_user_id_requested_at', table_name='data_exports')
    op.drop_index('ix_data_exports_status_expires_at', table_name='data_exports')
    op.drop_table('data_exports')
