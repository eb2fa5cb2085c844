"""order lines count the refunded units that came back (returns), so a return's refund leaves
the units left to ship as they were

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity_returned', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            'returned_within_refunded_and_shipped',
            'quantity_returned >= 0 AND quantity_returned <= quantity_refunded'
            ' AND quantity_returned <= quantity_shipped',
        )


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_lines_returned_within_refunded_and_shipped'), type_='check')
        batch_op.drop_column('quantity_returned')
