"""checkouts, orders and stock reservations

The platform's checkouts (one per payment) and saved addresses; each shop's
orders, their lines, discounts and timeline, its order counter and its stock
holds (all tenant tables under row-level security).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:00:00

"""
import sqlalchemy as sa
from alembic import op

import mall.db

import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkouts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('cart_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('open', 'submitted', 'paid', 'awaiting', 'expired', 'cancelled', name='checkoutstatus', native_enum=False, length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_method', sa.String(length=32), nullable=True),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('shipping_choice', sa.JSON(), nullable=False),
    sa.Column('coupon_codes', sa.JSON(), nullable=False),
    sa.Column('referral', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email', sa.LargeBinary(), nullable=True),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=True),
    sa.Column('shipping_address', sa.LargeBinary(), nullable=True),
    sa.Column('billing_address', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkouts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkouts')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_checkouts_token_digest'))
    )
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.create_index('ix_checkouts_status_hold_until', ['status', 'hold_until'], unique=False)
        batch_op.create_index('ix_checkouts_user_id', ['user_id'], unique=False)

    op.create_table('order_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_counters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_counters')),
    sa.UniqueConstraint('tenant_id', name='uq_order_counters_tenant_id')
    )
    op.enable_tenant_rls('order_counters')
    op.create_table('saved_addresses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_addresses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_addresses')),
    sa.UniqueConstraint('user_id', 'fingerprint', name=op.f('uq_saved_addresses_user_id_fingerprint'))
    )
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_addresses_user_id'), ['user_id'], unique=False)

    op.create_table('orders',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('checkout_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('awaiting_payment', 'paid', 'paid_short', 'cancelled', 'refunded', name='orderstatus', native_enum=False), nullable=False),
    sa.Column('payment_status', sa.Enum('pending', 'paid', 'refunded', 'voided', name='paymentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('payment_method', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount_shop', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount_platform', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipping_amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipping_tax', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tax', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('shipping_method_id', sa.Uuid(), nullable=True),
    sa.Column('shipping_method_name', sa.String(length=100), nullable=False),
    sa.Column('needs_shipping', sa.Boolean(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email', sa.LargeBinary(), nullable=False),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('shipping_address', sa.LargeBinary(), nullable=True),
    sa.Column('billing_address', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_orders_checkout_id_checkouts')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_orders_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_orders')),
    sa.UniqueConstraint('tenant_id', 'checkout_id', name=op.f('uq_orders_tenant_id_checkout_id')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_orders_tenant_id_number'))
    )
    op.enable_tenant_rls('orders')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_checkout_id', ['checkout_id'], unique=False)
        batch_op.create_index('ix_orders_tenant_id_email_index', ['tenant_id', 'email_index'], unique=False)
        batch_op.create_index('ix_orders_tenant_id_placed_at', ['tenant_id', 'placed_at'], unique=False)
        batch_op.create_index('ix_orders_tenant_id_status_placed_at', ['tenant_id', 'status', 'placed_at'], unique=False)

    op.create_table('order_discounts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('coupon_id', sa.Uuid(), nullable=True),
    sa.Column('funded_by', sa.Enum('shop', 'platform', name='party', native_enum=False, length=16), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_order_discounts_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_discounts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_discounts'))
    )
    op.enable_tenant_rls('order_discounts')
    with op.batch_alter_table('order_discounts', schema=None) as batch_op:
        batch_op.create_index('ix_order_discounts_tenant_id_order_id', ['tenant_id', 'order_id'], unique=False)

    op.create_table('order_events',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_order_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_order_events_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_events'))
    )
    op.enable_tenant_rls('order_events')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_tenant_id_order_id', ['tenant_id', 'order_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('variant_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('options', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('requires_shipping', sa.Boolean(), nullable=False),
    sa.Column('unit_price', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('subtotal', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount_shop', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount_platform', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tax', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tax_rate_bp', sa.Integer(), nullable=False),
    sa.Column('tax_collector', sa.Enum('shop', 'platform', name='party', native_enum=False, length=16), nullable=False),
    sa.Column('tax_country', sa.String(length=2), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_order_lines_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_order_lines'))
    )
    op.enable_tenant_rls('order_lines')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_tenant_id_order_id', ['tenant_id', 'order_id'], unique=False)

    op.create_table('stock_holds',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('variant_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('held', 'confirmed', 'released', name='holdstatus', native_enum=False, length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_stock_holds_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stock_holds_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_stock_holds')),
    sa.UniqueConstraint('tenant_id', 'order_id', 'variant_id', name=op.f('uq_stock_holds_tenant_id_order_id_variant_id'))
    )
    op.enable_tenant_rls('stock_holds')
    with op.batch_alter_table('stock_holds', schema=None) as batch_op:
        batch_op.create_index('ix_stock_holds_status_expires_at', ['status', 'expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('stock_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_holds_status_expires_at')

    op.drop_table('stock_holds')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_tenant_id_order_id')

    op.drop_table('order_lines')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_order_events_tenant_id_order_id')

    op.drop_table('order_events')
    with op.batch_alter_table('order_discounts', schema=None) as batch_op:
        batch_op.drop_index('ix_order_discounts_tenant_id_order_id')

    op.drop_table('order_discounts')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_tenant_id_status_placed_at')
        batch_op.drop_index('ix_orders_tenant_id_placed_at')
        batch_op.drop_index('ix_orders_tenant_id_email_index')
        batch_op.drop_index('ix_orders_checkout_id')

    op.drop_table('orders')
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_addresses_user_id'))

    op.drop_table('saved_addresses')
    op.drop_table('order_counters')
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_index('ix_checkouts_user_id')
        batch_op.drop_index('ix_checkouts_status_hold_until')

    op.drop_table('checkouts')
