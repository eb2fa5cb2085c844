"""returns per shop: policies, return requests and their lines

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 14:25:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_policies',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('payer', sa.Enum('customer', 'shop', name='returnpayer', native_enum=False, length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_policies_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_return_policies')),
    sa.UniqueConstraint('tenant_id', name='uq_return_policies_tenant_id')
    )
    op.enable_tenant_rls('return_policies')

    op.create_table('return_category_windows',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_return_category_windows_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_category_windows_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_return_category_windows')),
    sa.UniqueConstraint('tenant_id', 'category_id', name=op.f('uq_return_category_windows_tenant_id_category_id'))
    )
    op.enable_tenant_rls('return_category_windows')

    op.create_table('return_requests',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'approved', 'refused', 'refunded', name='returnstatus', native_enum=False, length=16), nullable=False),
    sa.Column('request_key', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.LargeBinary(), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=True),
    sa.Column('restock', sa.Boolean(), nullable=False),
    sa.Column('refund_id', sa.Uuid(), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_return_requests_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_return_requests_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_requests_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_return_requests')),
    sa.UniqueConstraint('tenant_id', 'request_key', name=op.f('uq_return_requests_tenant_id_request_key'))
    )
    op.enable_tenant_rls('return_requests')
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.create_index('ix_return_requests_tenant_id_created_at_id', ['tenant_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_return_requests_tenant_id_order_id', ['tenant_id', 'order_id'], unique=False)

    op.create_table('return_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('return_id', sa.Uuid(), nullable=False),
    sa.Column('order_line_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_return_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'order_line_id'], ['order_lines.tenant_id', 'order_lines.id'], name=op.f('fk_return_lines_tenant_id_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['tenant_id', 'return_id'], ['return_requests.tenant_id', 'return_requests.id'], name=op.f('fk_return_lines_tenant_id_return_id_return_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_return_lines'))
    )
    op.enable_tenant_rls('return_lines')
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.create_index('ix_return_lines_tenant_id_return_id', ['tenant_id', 'return_id'], unique=False)


def downgrade():
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_return_lines_tenant_id_return_id')

    op.drop_table('return_lines')
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_return_requests_tenant_id_order_id')
        batch_op.drop_index('ix_return_requests_tenant_id_created_at_id')

    op.drop_table('return_requests')
    op.drop_table('return_category_windows')
    op.drop_table('return_policies')
