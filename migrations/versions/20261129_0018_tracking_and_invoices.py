"""order tracking tokens, invoices and credit notes

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 12:50:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


AMOUNT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_version', sa.Integer(), nullable=False, server_default='1'))

    op.create_table('invoice_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series', sa.Enum('invoice', 'credit_note', name='documentkind', native_enum=False, length=16), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_counters_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invoice_counters')),
    sa.UniqueConstraint('tenant_id', 'series', name=op.f('uq_invoice_counters_tenant_id_series'))
    )
    op.enable_tenant_rls('invoice_counters')
    op.create_table('invoice_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('vat_number', sa.String(length=40), nullable=False),
    sa.Column('footer', sa.String(length=500), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invoice_settings')),
    sa.UniqueConstraint('tenant_id', name='uq_invoice_settings_tenant_id')
    )
    op.enable_tenant_rls('invoice_settings')
    op.create_table('invoices',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('invoice', 'credit_note', name='documentkind', native_enum=False, length=16), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', AMOUNT, nullable=False),
    sa.Column('tax', AMOUNT, nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('buyer', sa.LargeBinary(), nullable=True),
    sa.Column('seller', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'order_id'], ['orders.tenant_id', 'orders.id'], name=op.f('fk_invoices_tenant_id_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoices_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('tenant_id', 'kind', 'number', name=op.f('uq_invoices_tenant_id_kind_number')),
    sa.UniqueConstraint('tenant_id', 'kind', 'source_id', name=op.f('uq_invoices_tenant_id_kind_source_id'))
    )
    op.enable_tenant_rls('invoices')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_tenant_id_issued_at', ['tenant_id', 'issued_at'], unique=False)
        batch_op.create_index('ix_invoices_tenant_id_order_id', ['tenant_id', 'order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_tenant_id_order_id')
        batch_op.drop_index('ix_invoices_tenant_id_issued_at')

    op.drop_table('invoices')
    op.drop_table('invoice_settings')
    op.drop_table('invoice_counters')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('tracking_version')
