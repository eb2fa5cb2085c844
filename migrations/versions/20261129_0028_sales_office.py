"""sales office: vendors, purchasing, bills, order entry

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 21:43:36.965441

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)



# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('purchase_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchase_counters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchase_counters')),
    sa.UniqueConstraint('tenant_id', 'series', name=op.f('uq_purchase_counters_tenant_id_series'))
    )
    op.enable_tenant_rls('purchase_counters')
    op.create_table('purchasing_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('over_receipt_bp', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('over_receipt_bp >= 0', name=op.f('ck_purchasing_settings_over_receipt_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchasing_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchasing_settings')),
    sa.UniqueConstraint('tenant_id', name='uq_purchasing_settings_tenant_id')
    )
    op.enable_tenant_rls('purchasing_settings')
    op.create_table('sales_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sales_counters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sales_counters')),
    sa.UniqueConstraint('tenant_id', 'series', name=op.f('uq_sales_counters_tenant_id_series'))
    )
    op.enable_tenant_rls('sales_counters')
    op.create_table('vendors',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.LargeBinary(), nullable=True),
    sa.Column('email', sa.LargeBinary(), nullable=True),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=True),
    sa.Column('phone', sa.LargeBinary(), nullable=True),
    sa.Column('address', sa.LargeBinary(), nullable=True),
    sa.Column('notes', sa.LargeBinary(), nullable=True),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('currency_note', sa.String(length=100), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('billing_policy', sa.Enum('received', 'ordered', name='billingpolicy', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('active', 'archived', name='vendorstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lead_time_days >= 0', name=op.f('ck_vendors_lead_time_not_negative')),
    sa.CheckConstraint('payment_terms_days >= 0', name=op.f('ck_vendors_terms_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendors_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendors'))
    )
    op.enable_tenant_rls('vendors')
    op.create_index('ix_vendors_tenant_id_status_name', 'vendors', ['tenant_id', 'status', 'name'], unique=False)
    op.create_table('bill_payments',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('payment_key', sa.String(length=40), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bill_payments_amount_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_bill_payments_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_bill_payments_tenant_id_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bill_payments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_bill_payments')),
    sa.UniqueConstraint('tenant_id', 'payment_key', name=op.f('uq_bill_payments_tenant_id_payment_key'))
    )
    op.enable_tenant_rls('bill_payments')
    op.create_index('ix_bill_payments_tenant_id_created_at_id', 'bill_payments', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_bill_payments_tenant_id_vendor_id_paid_on', 'bill_payments', ['tenant_id', 'vendor_id', 'paid_on'], unique=False)
    op.create_table('purchase_orders',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sent', 'partially_received', 'received', 'closed', 'cancelled', name='purchasestatus', native_enum=False, length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('drop_ship', sa.Boolean(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('ship_to', sa.LargeBinary(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('vendor_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('link_version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_purchase_orders_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_purchase_orders_tenant_id_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_purchase_orders_tenant_id_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchase_orders_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchase_orders')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_purchase_orders_tenant_id_number'))
    )
    op.enable_tenant_rls('purchase_orders')
    op.create_index('ix_purchase_orders_tenant_id_created_at_id', 'purchase_orders', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_purchase_orders_tenant_id_status_created_at', 'purchase_orders', ['tenant_id', 'status', 'created_at'], unique=False)
    op.create_index('ix_purchase_orders_tenant_id_vendor_id', 'purchase_orders', ['tenant_id', 'vendor_id'], unique=False)
    op.create_index('uq_purchase_orders_order_vendor', 'purchase_orders', ['tenant_id', 'order_id', 'vendor_id'], unique=True, sqlite_where=sa.text('order_id IS NOT NULL'), postgresql_where=sa.text('order_id IS NOT NULL'))
    op.create_table('sales_documents',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('quote', 'invoice', name='saleskind', native_enum=False, length=16), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('status', sa.Enum('draft', 'sent', 'accepted', 'invoiced', 'paid', 'void', name='salesstatus', native_enum=False, length=16), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.LargeBinary(), nullable=True),
    sa.Column('email', sa.LargeBinary(), nullable=False),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('phone', sa.LargeBinary(), nullable=True),
    sa.Column('shipping_address', sa.LargeBinary(), nullable=True),
    sa.Column('billing_address', sa.LargeBinary(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipping_method_id', sa.Uuid(), nullable=True),
    sa.Column('shipping_method_name', sa.String(length=100), nullable=False),
    sa.Column('shipping_amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tax', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('entered_by_id', sa.Uuid(), nullable=True),
    sa.Column('request_key', sa.String(length=40), nullable=False),
    sa.Column('quote_id', sa.Uuid(), nullable=True),
    sa.Column('schedule_id', sa.Uuid(), nullable=True),
    sa.Column('invoice_id', sa.Uuid(), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('pay_token_version', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_method', sa.String(length=32), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('last_reminded_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 0', name=op.f('ck_sales_documents_total_not_negative')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_sales_documents_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['crm_customers.tenant_id', 'crm_customers.id'], name=op.f('fk_sales_documents_tenant_id_customer_id_crm_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_sales_documents_tenant_id_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sales_documents_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sales_documents')),
    sa.UniqueConstraint('tenant_id', 'kind', 'number', name=op.f('uq_sales_documents_tenant_id_kind_number')),
    sa.UniqueConstraint('tenant_id', 'order_id', name=op.f('uq_sales_documents_tenant_id_order_id')),
    sa.UniqueConstraint('tenant_id', 'request_key', name=op.f('uq_sales_documents_tenant_id_request_key'))
    )
    op.enable_tenant_rls('sales_documents')
    op.create_index('ix_sales_documents_tenant_id_customer_id', 'sales_documents', ['tenant_id', 'customer_id'], unique=False)
    op.create_index('ix_sales_documents_tenant_id_entered_by_id_created_at', 'sales_documents', ['tenant_id', 'entered_by_id', 'created_at'], unique=False)
    op.create_index('ix_sales_documents_tenant_id_kind_created_at_id', 'sales_documents', ['tenant_id', 'kind', 'created_at', 'id'], unique=False)
    op.create_index('ix_sales_documents_tenant_id_schedule_id_issued_on', 'sales_documents', ['tenant_id', 'schedule_id', 'issued_on'], unique=False)
    op.create_index('ix_sales_documents_tenant_id_status_due_on', 'sales_documents', ['tenant_id', 'status', 'due_on'], unique=False)
    op.create_table('vendor_products',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('variant_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_sku', sa.String(length=64), nullable=False),
    sa.Column('unit_cost', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('min_order_packs', sa.Integer(), nullable=False),
    sa.Column('drop_ship', sa.Boolean(), nullable=False),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('min_order_packs >= 1', name=op.f('ck_vendor_products_min_order_positive')),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_vendor_products_pack_size_positive')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_vendor_products_unit_cost_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'variant_id'], ['variants.tenant_id', 'variants.id'], name=op.f('fk_vendor_products_tenant_id_variant_id_variants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_vendor_products_tenant_id_vendor_id_vendors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendor_products_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendor_products')),
    sa.UniqueConstraint('tenant_id', 'vendor_id', 'variant_id', name=op.f('uq_vendor_products_tenant_id_vendor_id_variant_id'))
    )
    op.enable_tenant_rls('vendor_products')
    op.create_index('ix_vendor_products_tenant_id_variant_id', 'vendor_products', ['tenant_id', 'variant_id'], unique=False)
    op.create_index('uq_vendor_products_preferred', 'vendor_products', ['tenant_id', 'variant_id'], unique=True, sqlite_where=sa.text('preferred'), postgresql_where=sa.text('preferred'))
    op.create_table('invoice_schedules',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('template_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('every', sa.Enum('month', 'quarter', 'year', name='scheduleevery', native_enum=False, length=16), nullable=False),
    sa.Column('next_issue_on', sa.Date(), nullable=False),
    sa.Column('last_issued_on', sa.Date(), nullable=True),
    sa.Column('issued_count', sa.Integer(), nullable=False),
    sa.Column('stop_after', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_invoice_schedules_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['crm_customers.tenant_id', 'crm_customers.id'], name=op.f('fk_invoice_schedules_tenant_id_customer_id_crm_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'template_id'], ['sales_documents.tenant_id', 'sales_documents.id'], name=op.f('fk_invoice_schedules_tenant_id_template_id_sales_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_schedules_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invoice_schedules')),
    sa.UniqueConstraint('tenant_id', 'template_id', name=op.f('uq_invoice_schedules_tenant_id_template_id'))
    )
    op.enable_tenant_rls('invoice_schedules')
    op.create_index('ix_invoice_schedules_next_issue_on', 'invoice_schedules', ['next_issue_on'], unique=False)
    op.create_index('ix_invoice_schedules_tenant_id_created_at', 'invoice_schedules', ['tenant_id', 'created_at'], unique=False)
    op.create_table('purchase_order_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('po_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('vendor_sku', sa.String(length=64), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity_ordered', sa.Integer(), nullable=False),
    sa.Column('quantity_received', sa.Integer(), nullable=False),
    sa.Column('quantity_billed', sa.Integer(), nullable=False),
    sa.Column('quantity_closed', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_purchase_order_lines_pack_size_positive')),
    sa.CheckConstraint('quantity_billed >= 0', name=op.f('ck_purchase_order_lines_billed_not_negative')),
    sa.CheckConstraint('quantity_closed >= 0', name=op.f('ck_purchase_order_lines_closed_not_negative')),
    sa.CheckConstraint('quantity_ordered > 0', name=op.f('ck_purchase_order_lines_ordered_positive')),
    sa.CheckConstraint('quantity_received >= 0', name=op.f('ck_purchase_order_lines_received_not_negative')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_purchase_order_lines_unit_cost_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'po_id'], ['purchase_orders.tenant_id', 'purchase_orders.id'], name=op.f('fk_purchase_order_lines_tenant_id_po_id_purchase_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchase_order_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchase_order_lines'))
    )
    op.enable_tenant_rls('purchase_order_lines')
    op.create_index('ix_purchase_order_lines_tenant_id_po_id', 'purchase_order_lines', ['tenant_id', 'po_id'], unique=False)
    op.create_table('purchase_receipts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('po_id', sa.Uuid(), nullable=False),
    sa.Column('receipt_key', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_purchase_receipts_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'po_id'], ['purchase_orders.tenant_id', 'purchase_orders.id'], name=op.f('fk_purchase_receipts_tenant_id_po_id_purchase_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchase_receipts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchase_receipts')),
    sa.UniqueConstraint('tenant_id', 'receipt_key', name=op.f('uq_purchase_receipts_tenant_id_receipt_key'))
    )
    op.enable_tenant_rls('purchase_receipts')
    op.create_index('ix_purchase_receipts_tenant_id_po_id', 'purchase_receipts', ['tenant_id', 'po_id'], unique=False)
    op.create_table('sales_document_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('variant_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('options', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('list_price', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_price', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('price_override_reason', sa.String(length=200), nullable=False),
    sa.Column('discount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('discount_reason', sa.String(length=200), nullable=False),
    sa.Column('tax_rate_bp', sa.Integer(), nullable=False),
    sa.Column('tax', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.CheckConstraint('discount >= 0', name=op.f('ck_sales_document_lines_discount_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_sales_document_lines_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_sales_document_lines_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['sales_documents.tenant_id', 'sales_documents.id'], name=op.f('fk_sales_document_lines_tenant_id_document_id_sales_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sales_document_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sales_document_lines'))
    )
    op.enable_tenant_rls('sales_document_lines')
    op.create_index('ix_sales_document_lines_tenant_id_document_id', 'sales_document_lines', ['tenant_id', 'document_id'], unique=False)
    op.create_table('vendor_bills',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('po_id', sa.Uuid(), nullable=True),
    sa.Column('vendor_number', sa.String(length=60), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'partially_paid', 'paid', 'void', name='billstatus', native_enum=False, length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('paid', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credited', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('exceptions', sa.JSON(), nullable=False),
    sa.Column('exception_reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('override_reason', sa.String(length=300), nullable=False),
    sa.Column('bill_key', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('credited >= 0', name=op.f('ck_vendor_bills_credited_not_negative')),
    sa.CheckConstraint('paid >= 0', name=op.f('ck_vendor_bills_paid_not_negative')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_vendor_bills_total_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_vendor_bills_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'po_id'], ['purchase_orders.tenant_id', 'purchase_orders.id'], name=op.f('fk_vendor_bills_tenant_id_po_id_purchase_orders')),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_vendor_bills_tenant_id_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendor_bills_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendor_bills')),
    sa.UniqueConstraint('tenant_id', 'bill_key', name=op.f('uq_vendor_bills_tenant_id_bill_key')),
    sa.UniqueConstraint('tenant_id', 'reference', name=op.f('uq_vendor_bills_tenant_id_reference'))
    )
    op.enable_tenant_rls('vendor_bills')
    op.create_index('ix_vendor_bills_tenant_id_created_at_id', 'vendor_bills', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_vendor_bills_tenant_id_po_id', 'vendor_bills', ['tenant_id', 'po_id'], unique=False)
    op.create_index('ix_vendor_bills_tenant_id_status_due_on', 'vendor_bills', ['tenant_id', 'status', 'due_on'], unique=False)
    op.create_index('ix_vendor_bills_tenant_id_vendor_id_issued_on', 'vendor_bills', ['tenant_id', 'vendor_id', 'issued_on'], unique=False)
    op.create_table('bill_payment_allocations',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bill_payment_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'bill_id'], ['vendor_bills.tenant_id', 'vendor_bills.id'], name=op.f('fk_bill_payment_allocations_tenant_id_bill_id_vendor_bills')),
    sa.ForeignKeyConstraint(['tenant_id', 'payment_id'], ['bill_payments.tenant_id', 'bill_payments.id'], name=op.f('fk_bill_payment_allocations_tenant_id_payment_id_bill_payments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bill_payment_allocations_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_bill_payment_allocations')),
    sa.UniqueConstraint('tenant_id', 'payment_id', 'bill_id', name=op.f('uq_bill_payment_allocations_tenant_id_payment_id_bill_id'))
    )
    op.enable_tenant_rls('bill_payment_allocations')
    op.create_index('ix_bill_payment_allocations_tenant_id_bill_id', 'bill_payment_allocations', ['tenant_id', 'bill_id'], unique=False)
    op.create_table('purchase_receipt_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('receipt_id', sa.Uuid(), nullable=False),
    sa.Column('po_line_id', sa.Uuid(), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.CheckConstraint('packs > 0', name=op.f('ck_purchase_receipt_lines_packs_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'po_line_id'], ['purchase_order_lines.tenant_id', 'purchase_order_lines.id'], name=op.f('fk_purchase_receipt_lines_tenant_id_po_line_id_purchase_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'receipt_id'], ['purchase_receipts.tenant_id', 'purchase_receipts.id'], name=op.f('fk_purchase_receipt_lines_tenant_id_receipt_id_purchase_receipts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchase_receipt_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_purchase_receipt_lines'))
    )
    op.enable_tenant_rls('purchase_receipt_lines')
    op.create_index('ix_purchase_receipt_lines_tenant_id_receipt_id', 'purchase_receipt_lines', ['tenant_id', 'receipt_id'], unique=False)
    op.create_table('vendor_bill_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Uuid(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_vendor_bill_lines_quantity_positive')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_vendor_bill_lines_unit_cost_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'bill_id'], ['vendor_bills.tenant_id', 'vendor_bills.id'], name=op.f('fk_vendor_bill_lines_tenant_id_bill_id_vendor_bills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'po_line_id'], ['purchase_order_lines.tenant_id', 'purchase_order_lines.id'], name=op.f('fk_vendor_bill_lines_tenant_id_po_line_id_purchase_order_lines')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendor_bill_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendor_bill_lines'))
    )
    op.enable_tenant_rls('vendor_bill_lines')
    op.create_index('ix_vendor_bill_lines_tenant_id_bill_id', 'vendor_bill_lines', ['tenant_id', 'bill_id'], unique=False)
    op.create_index('ix_vendor_bill_lines_tenant_id_po_line_id', 'vendor_bill_lines', ['tenant_id', 'po_line_id'], unique=False)
    op.create_table('vendor_credits',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_number', sa.String(length=60), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('credit_key', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total > 0', name=op.f('ck_vendor_credits_total_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_vendor_credits_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'bill_id'], ['vendor_bills.tenant_id', 'vendor_bills.id'], name=op.f('fk_vendor_credits_tenant_id_bill_id_vendor_bills')),
    sa.ForeignKeyConstraint(['tenant_id', 'vendor_id'], ['vendors.tenant_id', 'vendors.id'], name=op.f('fk_vendor_credits_tenant_id_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendor_credits_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendor_credits')),
    sa.UniqueConstraint('tenant_id', 'credit_key', name=op.f('uq_vendor_credits_tenant_id_credit_key')),
    sa.UniqueConstraint('tenant_id', 'reference', name=op.f('uq_vendor_credits_tenant_id_reference'))
    )
    op.enable_tenant_rls('vendor_credits')
    op.create_index('ix_vendor_credits_tenant_id_bill_id', 'vendor_credits', ['tenant_id', 'bill_id'], unique=False)
    op.create_table('vendor_credit_lines',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('credit_id', sa.Uuid(), nullable=False),
    sa.Column('bill_line_id', sa.Uuid(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_vendor_credit_lines_quantity_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'bill_line_id'], ['vendor_bill_lines.tenant_id', 'vendor_bill_lines.id'], name=op.f('fk_vendor_credit_lines_tenant_id_bill_line_id_vendor_bill_lines')),
    sa.ForeignKeyConstraint(['tenant_id', 'credit_id'], ['vendor_credits.tenant_id', 'vendor_credits.id'], name=op.f('fk_vendor_credit_lines_tenant_id_credit_id_vendor_credits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vendor_credit_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_vendor_credit_lines'))
    )
    op.enable_tenant_rls('vendor_credit_lines')
    # An invoice entered by staff has no order until it is paid.
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('order_id', existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_orders_tenant_id_entered_by_id_placed_at', ['tenant_id', 'entered_by_id', 'placed_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_orders_entered_by_id_users'), 'users', ['entered_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_entered_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_orders_tenant_id_entered_by_id_placed_at')
        batch_op.drop_column('entered_by_id')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('order_id', existing_type=sa.Uuid(), nullable=False)
    op.drop_table('vendor_credit_lines')
    op.drop_index('ix_vendor_credits_tenant_id_bill_id', table_name='vendor_credits')
    op.drop_table('vendor_credits')
    op.drop_index('ix_vendor_bill_lines_tenant_id_po_line_id', table_name='vendor_bill_lines')
    op.drop_index('ix_vendor_bill_lines_tenant_id_bill_id', table_name='vendor_bill_lines')
    op.drop_table('vendor_bill_lines')
    op.drop_index('ix_purchase_receipt_lines_tenant_id_receipt_id', table_name='purchase_receipt_lines')
    op.drop_table('purchase_receipt_lines')
    op.drop_index('ix_bill_payment_allocations_tenant_id_bill_id', table_name='bill_payment_allocations')
    op.drop_table('bill_payment_allocations')
    op.drop_index('ix_vendor_bills_tenant_id_vendor_id_issued_on', table_name='vendor_bills')
    op.drop_index('ix_vendor_bills_tenant_id_status_due_on', table_name='vendor_bills')
    op.drop_index('ix_vendor_bills_tenant_id_po_id', table_name='vendor_bills')
    op.drop_index('ix_vendor_bills_tenant_id_created_at_id', table_name='vendor_bills')
    op.drop_table('vendor_bills')
    op.drop_index('ix_sales_document_lines_tenant_id_document_id', table_name='sales_document_lines')
    op.drop_table('sales_document_lines')
    op.drop_index('ix_purchase_receipts_tenant_id_po_id', table_name='purchase_receipts')
    op.drop_table('purchase_receipts')
    op.drop_index('ix_purchase_order_lines_tenant_id_po_id', table_name='purchase_order_lines')
    op.drop_table('purchase_order_lines')
    op.drop_index('ix_invoice_schedules_tenant_id_created_at', table_name='invoice_schedules')
    op.drop_index('ix_invoice_schedules_next_issue_on', table_name='invoice_schedules')
    op.drop_table('invoice_schedules')
    op.drop_index('uq_vendor_products_preferred', table_name='vendor_products', sqlite_where=sa.text('preferred'), postgresql_where=sa.text('preferred'))
    op.drop_index('ix_vendor_products_tenant_id_variant_id', table_name='vendor_products')
    op.drop_table('vendor_products')
    op.drop_index('ix_sales_documents_tenant_id_status_due_on', table_name='sales_documents')
    op.drop_index('ix_sales_documents_tenant_id_schedule_id_issued_on', table_name='sales_documents')
    op.drop_index('ix_sales_documents_tenant_id_kind_created_at_id', table_name='sales_documents')
    op.drop_index('ix_sales_documents_tenant_id_entered_by_id_created_at', table_name='sales_documents')
    op.drop_index('ix_sales_documents_tenant_id_customer_id', table_name='sales_documents')
    op.drop_table('sales_documents')
    op.drop_index('uq_purchase_orders_order_vendor', table_name='purchase_orders', sqlite_where=sa.text('order_id IS NOT NULL'), postgresql_where=sa.text('order_id IS NOT NULL'))
    op.drop_index('ix_purchase_orders_tenant_id_vendor_id', table_name='purchase_orders')
    op.drop_index('ix_purchase_orders_tenant_id_status_created_at', table_name='purchase_orders')
    op.drop_index('ix_purchase_orders_tenant_id_created_at_id', table_name='purchase_orders')
    op.drop_table('purchase_orders')
    op.drop_index('ix_bill_payments_tenant_id_vendor_id_paid_on', table_name='bill_payments')
    op.drop_index('ix_bill_payments_tenant_id_created_at_id', table_name='bill_payments')
    op.drop_table('bill_payments')
    op.drop_index('ix_vendors_tenant_id_status_name', table_name='vendors')
    op.drop_table('vendors')
    op.drop_table('sales_counters')
    op.drop_table('purchasing_settings')
    op.drop_table('purchase_counters')
