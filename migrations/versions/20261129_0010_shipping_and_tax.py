"""shipping methods and tax rates

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 14:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pricing_settings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_pricing_settings_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_pricing_settings')),
    sa.UniqueConstraint('tenant_id', name='uq_pricing_settings_tenant_id')
    )
    op.enable_tenant_rls('pricing_settings')
    op.create_table('shipping_methods',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('flat', 'weight', 'free', 'pickup', name='shippingkind', native_enum=False, length=16), nullable=False),
    sa.Column('price', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('free_above', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipping_methods_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_shipping_methods')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_shipping_methods_tenant_id_name'))
    )
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.create_index('ix_shipping_methods_tenant_id_position', ['tenant_id', 'position'], unique=False)
    op.enable_tenant_rls('shipping_methods')
    op.create_table('tax_rates',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tax_class', sa.String(length=32), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tax_rates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('tenant_id', 'tax_class', 'country', name=op.f('uq_tax_rates_tenant_id_tax_class_country'))
    )
    op.enable_tenant_rls('tax_rates')


def downgrade():
    op.drop_table('tax_rates')
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.drop_index('ix_shipping_methods_tenant_id_position')
    op.drop_table('shipping_methods')
    op.drop_table('pricing_settings')
