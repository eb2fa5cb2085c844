"""stock history outlives removed variants; "variant removed" movements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00.000000

Stock movements now name their product and may outlive their variant: when a
variant is removed, its stock leaves through a movement with the new reason
``variant_removed`` (the reason column is plain text without a CHECK, so the new
value needs no change here), and its movements keep the SKU and option label
(``removed_sku``, ``removed_label``) with ``variant_id`` set to NULL.

Downgrading deletes the movements of removed variants (the old schema needs a
variant for every movement).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('removed_sku', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('removed_label', sa.String(length=300), nullable=True))
    # Migrations run with mall.tenant_id = '*', so row-level security lets every shop's rows through.
    op.execute(
        "UPDATE stock_movements SET product_id = ("
        "SELECT variants.product_id FROM variants"
        " WHERE variants.tenant_id = stock_movements.tenant_id"
        " AND variants.id = stock_movements.variant_id)"
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.alter_column('product_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('variant_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_stock_movements_tenant_id_product_id_products'),
            'products',
            ['tenant_id', 'product_id'],
            ['tenant_id', 'id'],
            ondelete='CASCADE',
        )
        batch_op.create_index(
            'ix_stock_movements_product', ['tenant_id', 'product_id', 'created_at'], unique=False
        )


def downgrade():
    op.execute("DELETE FROM stock_movements WHERE variant_id IS NULL")
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_product')
        batch_op.drop_constraint(
            batch_op.f('fk_stock_movements_tenant_id_product_id_products'), type_='foreignkey'
        )
        batch_op.alter_column('variant_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('removed_label')
        batch_op.drop_column('removed_sku')
        batch_op.drop_column('product_id')
