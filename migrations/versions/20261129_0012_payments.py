"""payments, webhook events and offline cards

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 14:00:00

"""
import sqlalchemy as sa
from alembic import op

import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

AMOUNT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('payment_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_payment_events_provider_event_id'))
    )
    op.create_table('payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('checkout_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', 'expired', 'cancelled', name='paymentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('amount', AMOUNT, nullable=False),
    sa.Column('refunded_amount', AMOUNT, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('provider_payment_ref', sa.String(length=255), nullable=True),
    sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], name=op.f('fk_payments_checkout_id_checkouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('checkout_id', 'attempt', name=op.f('uq_payments_checkout_id_attempt')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payments_provider_ref'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_provider_payment_ref', ['provider_payment_ref'], unique=False)

    op.create_table('payment_refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('amount', AMOUNT, nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', 'manual', name='refundstatus', native_enum=False, length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('provider_ref', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_refunds_idempotency_key')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payment_refunds_provider_ref'))
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_payment_refunds_payment_id', ['payment_id'], unique=False)

    op.create_table('payment_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bank_transfer_enabled', sa.Boolean(), nullable=False),
    sa.Column('bank_instructions', sa.Text(), nullable=False),
    sa.Column('offline_card_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payment_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_payment_settings')),
    sa.UniqueConstraint('tenant_id', name='uq_payment_settings_tenant_id')
    )
    op.enable_tenant_rls('payment_settings')
    op.create_table('offline_cards',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('brand', sa.String(length=16), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('number', sa.LargeBinary(), nullable=False),
    sa.Column('expiry', sa.LargeBinary(), nullable=False),
    sa.Column('cvc', sa.LargeBinary(), nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revealed_by_id'], ['users.id'], name=op.f('fk_offline_cards_revealed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_offline_cards_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_offline_cards_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_offline_cards')),
    sa.UniqueConstraint('tenant_id', 'order_id', name=op.f('uq_offline_cards_tenant_id_order_id'))
    )
    op.enable_tenant_rls('offline_cards')
    with op.batch_alter_table('offline_cards', schema=None) as batch_op:
        batch_op.create_index('ix_offline_cards_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_offline_cards_tenant_id_created_at', ['tenant_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('offline_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_offline_cards_tenant_id_created_at')
        batch_op.drop_index('ix_offline_cards_created_at')

    op.drop_table('offline_cards')
    op.drop_table('payment_settings')
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_refunds_payment_id')

    op.drop_table('payment_refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_provider_payment_ref')

    op.drop_table('payments')
    op.drop_table('payment_events')
