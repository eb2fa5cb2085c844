"""the affiliate program: affiliates, shops' terms and rates, private programs, clicks and
their daily rollups, commissions, payouts; ledger lines name their affiliate

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('affiliate_payout_batches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='batchstatus', native_enum=False, length=16), nullable=False),
    sa.Column('made_by_id', sa.Uuid(), nullable=True),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_payout_batches')),
    sa.UniqueConstraint('batch_key', name=op.f('uq_affiliate_payout_batches_batch_key'))
    )
    op.create_table('affiliate_terms',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('in_mall_program', sa.Boolean(), nullable=False),
    sa.Column('include_shipping', sa.Boolean(), nullable=False),
    sa.Column('lifetime_attribution', sa.Boolean(), nullable=False),
    sa.Column('private_program', sa.Boolean(), nullable=False),
    sa.Column('rate_kind', sa.Enum('percent', 'fixed', name='ratekind', native_enum=False, length=16), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('rate_fixed', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_affiliate_terms_rate_bp_range')),
    sa.CheckConstraint('rate_fixed >= 0', name=op.f('ck_affiliate_terms_rate_fixed_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_affiliate_terms_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_affiliate_terms')),
    sa.UniqueConstraint('tenant_id', name='uq_affiliate_terms_tenant_id')
    )
    op.enable_tenant_rls('affiliate_terms')
    op.create_table('affiliates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('status', sa.Enum('applied', 'approved', 'rejected', 'suspended', name='affiliatestatus', native_enum=False, length=16), nullable=False),
    sa.Column('website', sa.LargeBinary(), nullable=True),
    sa.Column('promotion', sa.LargeBinary(), nullable=True),
    sa.Column('payout_method', sa.Enum('paypal', 'stripe', name='payoutmethod', native_enum=False, length=16), nullable=False),
    sa.Column('payout_email', sa.LargeBinary(), nullable=True),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=True),
    sa.Column('recruited_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recruited_by_id'], ['affiliates.id'], name=op.f('fk_affiliates_recruited_by_id_affiliates')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_affiliates_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliates')),
    sa.UniqueConstraint('code', name=op.f('uq_affiliates_code'))
    )
    op.create_index('ix_affiliates_recruited_by_id', 'affiliates', ['recruited_by_id'], unique=False)
    op.create_index('ix_affiliates_status_created_at', 'affiliates', ['status', 'created_at'], unique=False)
    op.create_index('uq_affiliates_user_id', 'affiliates', ['user_id'], unique=True, postgresql_where=sa.text('user_id IS NOT NULL'), sqlite_where=sa.text('user_id IS NOT NULL'))
    op.create_table('affiliate_clicks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Uuid(), nullable=True),
    sa.Column('landing_path', sa.String(length=300), nullable=False),
    sa.Column('referrer_host', sa.String(length=255), nullable=False),
    sa.Column('ip_index', sa.LargeBinary(length=32), nullable=True),
    sa.Column('agent', sa.Enum('desktop', 'mobile', 'bot', 'other', name='agentclass', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_clicks_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_clicks'))
    )
    op.create_index('ix_affiliate_clicks_affiliate_id_clicked_at', 'affiliate_clicks', ['affiliate_id', 'clicked_at'], unique=False)
    op.create_index('ix_affiliate_clicks_clicked_at', 'affiliate_clicks', ['clicked_at'], unique=False)
    op.create_index('ix_affiliate_clicks_ip_index_clicked_at', 'affiliate_clicks', ['ip_index', 'clicked_at'], unique=False)
    op.create_table('affiliate_daily_pages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_daily_pages_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_daily_pages')),
    sa.UniqueConstraint('affiliate_id', 'day', 'path', name=op.f('uq_affiliate_daily_pages_affiliate_id_day_path'))
    )
    op.create_table('affiliate_daily_stats',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('bot_clicks', sa.Integer(), nullable=False),
    sa.Column('discounted_clicks', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('conversions', sa.Integer(), nullable=False),
    sa.Column('earned', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_daily_stats_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_daily_stats')),
    sa.UniqueConstraint('affiliate_id', 'day', name=op.f('uq_affiliate_daily_stats_affiliate_id_day'))
    )
    op.create_table('affiliate_payouts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.Enum('paypal', 'stripe', name='payoutmethod', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('in_transit', 'paid', 'failed', name='affiliatepayoutstatus', native_enum=False, length=24), nullable=False),
    sa.Column('transfer_id', sa.String(length=255), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.String(length=300), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_affiliate_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_payouts_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['batch_id'], ['affiliate_payout_batches.id'], name=op.f('fk_affiliate_payouts_batch_id_affiliate_payout_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_payouts')),
    sa.UniqueConstraint('batch_id', 'affiliate_id', name=op.f('uq_affiliate_payouts_batch_id_affiliate_id')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_affiliate_payouts_transfer_id'))
    )
    op.create_index('ix_affiliate_payouts_affiliate_id_created_at', 'affiliate_payouts', ['affiliate_id', 'created_at'], unique=False)
    op.create_table('affiliate_product_rates',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('rate_kind', sa.Enum('percent', 'fixed', name='ratekind', native_enum=False, length=16), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('rate_fixed', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_affiliate_terms_rate_bp_range')),
    sa.CheckConstraint('rate_fixed >= 0', name=op.f('ck_affiliate_terms_rate_fixed_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'product_id'], ['products.tenant_id', 'products.id'], name=op.f('fk_affiliate_product_rates_tenant_id_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_affiliate_product_rates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_affiliate_product_rates')),
    sa.UniqueConstraint('tenant_id', 'product_id', name=op.f('uq_affiliate_product_rates_tenant_id_product_id'))
    )
    op.enable_tenant_rls('affiliate_product_rates')
    op.create_table('shop_affiliates',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('invited', 'active', 'removed', name='shopaffiliatestatus', native_enum=False, length=16), nullable=False),
    sa.Column('email', sa.LargeBinary(), nullable=True),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=True),
    sa.Column('invited_by_id', sa.Uuid(), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rate_kind', sa.Enum('percent', 'fixed', name='ratekind', native_enum=False, length=16), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('rate_fixed', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_affiliate_terms_rate_bp_range')),
    sa.CheckConstraint('rate_fixed >= 0', name=op.f('ck_affiliate_terms_rate_fixed_not_negative')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_shop_affiliates_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shop_affiliates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_shop_affiliates')),
    sa.UniqueConstraint('tenant_id', 'affiliate_id', name=op.f('uq_shop_affiliates_tenant_id_affiliate_id')),
    sa.UniqueConstraint('tenant_id', 'email_index', name=op.f('uq_shop_affiliates_tenant_id_email_index'))
    )
    op.enable_tenant_rls('shop_affiliates')
    op.create_index('ix_shop_affiliates_affiliate_id', 'shop_affiliates', ['affiliate_id'], unique=False)
    op.create_table('affiliate_commissions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('affiliate_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'clawback', name='commissionkind', native_enum=False, length=16), nullable=False),
    sa.Column('clawback_of_id', sa.Uuid(), nullable=True),
    sa.Column('event_key', sa.String(length=80), nullable=True),
    sa.Column('source', sa.Enum('coupon', 'click', 'lifetime', name='source', native_enum=False, length=16), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('rate_kind', sa.Enum('percent', 'fixed', name='ratekind', native_enum=False, length=16), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('rate_fixed', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('base', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('original_amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'paid', 'rejected', name='commissionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payout_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('tier IN (1, 2)', name=op.f('ck_affiliate_commissions_tier_one_or_two')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_commissions_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['payout_id'], ['affiliate_payouts.id'], name=op.f('fk_affiliate_commissions_payout_id_affiliate_payouts')),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name='fk_affiliate_commissions_order'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_affiliate_commissions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_affiliate_commissions'))
    )
    op.enable_tenant_rls('affiliate_commissions')
    op.create_index('ix_affiliate_commissions_affiliate_id_created_at', 'affiliate_commissions', ['affiliate_id', 'created_at'], unique=False)
    op.create_index('ix_affiliate_commissions_payout_id', 'affiliate_commissions', ['payout_id'], unique=False)
    op.create_index('ix_affiliate_commissions_status_held_until', 'affiliate_commissions', ['status', 'held_until'], unique=False)
    op.create_index('ix_affiliate_commissions_tenant_id_created_at', 'affiliate_commissions', ['tenant_id', 'created_at'], unique=False)
    op.create_index('ix_affiliate_commissions_tenant_id_order_id', 'affiliate_commissions', ['tenant_id', 'order_id'], unique=False)
    op.create_index('uq_affiliate_commissions_event_key', 'affiliate_commissions', ['tenant_id', 'event_key'], unique=True, postgresql_where=sa.text('event_key IS NOT NULL'), sqlite_where=sa.text('event_key IS NOT NULL'))
    op.create_index('uq_affiliate_commissions_sale', 'affiliate_commissions', ['tenant_id', 'order_id', 'tier'], unique=True, postgresql_where=sa.text("kind = 'sale'"), sqlite_where=sa.text("kind = 'sale'"))
    op.add_column('ledger_lines', sa.Column('affiliate_id', sa.Uuid(), nullable=True))
    op.create_index('ix_ledger_lines_affiliate_id_account_entry_seq', 'ledger_lines', ['affiliate_id', 'account', 'entry_seq'], unique=False, postgresql_where=sa.text('affiliate_id IS NOT NULL'), sqlite_where=sa.text('affiliate_id IS NOT NULL'))


def downgrade():
    op.drop_index('ix_ledger_lines_affiliate_id_account_entry_seq', table_name='ledger_lines', postgresql_where=sa.text('affiliate_id IS NOT NULL'), sqlite_where=sa.text('affiliate_id IS NOT NULL'))
    op.drop_column('ledger_lines', 'affiliate_id')
    op.drop_index('uq_affiliate_commissions_sale', table_name='affiliate_commissions', postgresql_where=sa.text("kind = 'sale'"), sqlite_where=sa.text("kind = 'sale'"))
    op.drop_index('uq_affiliate_commissions_event_key', table_name='affiliate_commissions', postgresql_where=sa.text('event_key IS NOT NULL'), sqlite_where=sa.text('event_key IS NOT NULL'))
    op.drop_index('ix_affiliate_commissions_tenant_id_order_id', table_name='affiliate_commissions')
    op.drop_index('ix_affiliate_commissions_tenant_id_created_at', table_name='affiliate_commissions')
    op.drop_index('ix_affiliate_commissions_status_held_until', table_name='affiliate_commissions')
    op.drop_index('ix_affiliate_commissions_payout_id', table_name='affiliate_commissions')
    op.drop_index('ix_affiliate_commissions_affiliate_id_created_at', table_name='affiliate_commissions')
    op.drop_table('affiliate_commissions')
    op.drop_index('ix_shop_affiliates_affiliate_id', table_name='shop_affiliates')
    op.drop_table('shop_affiliates')
    op.drop_table('affiliate_product_rates')
    op.drop_index('ix_affiliate_payouts_affiliate_id_created_at', table_name='affiliate_payouts')
    op.drop_table('affiliate_payouts')
    op.drop_table('affiliate_daily_stats')
    op.drop_table('affiliate_daily_pages')
    op.drop_index('ix_affiliate_clicks_ip_index_clicked_at', table_name='affiliate_clicks')
    op.drop_index('ix_affiliate_clicks_clicked_at', table_name='affiliate_clicks')
    op.drop_index('ix_affiliate_clicks_affiliate_id_clicked_at', table_name='affiliate_clicks')
    op.drop_table('affiliate_clicks')
    op.drop_index('uq_affiliates_user_id', table_name='affiliates', postgresql_where=sa.text('user_id IS NOT NULL'), sqlite_where=sa.text('user_id IS NOT NULL'))
    op.drop_index('ix_affiliates_status_created_at', table_name='affiliates')
    op.drop_index('ix_affiliates_recruited_by_id', table_name='affiliates')
    op.drop_table('affiliates')
    op.drop_table('affiliate_terms')
    op.drop_table('affiliate_payout_batches')
