"""ledger balance checkpoints, order list keyset and number search indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 12:50:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


ACCOUNTS = ('processor', 'commission_revenue', 'platform_discounts', 'tax_payable',
            'processor_fees', 'adjustments', 'unattributed_refunds', 'disputes_outstanding',
            'shop_pending', 'shop_available', 'shop_reserve', 'shop_disputed',
            'payouts_in_transit')

# Checkpoints are sums of posted lines: as immutable as the lines (the function is 0013's).
PROTECT_CHECKPOINTS = """
CREATE TRIGGER ledger_checkpoints_immutable BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""


def upgrade():
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('shop_id', sa.Uuid(), nullable=True),
    sa.Column('account', sa.Enum(*ACCOUNTS, name='account', native_enum=False, length=24), nullable=False),
    sa.Column('upto_seq', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['tenants.id'], name=op.f('fk_ledger_checkpoints_shop_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints'))
    )
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_checkpoints_shop_id_upto_seq', ['shop_id', 'upto_seq'], unique=False)
        batch_op.create_index('ix_ledger_checkpoints_upto_seq', ['upto_seq'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PROTECT_CHECKPOINTS)

    # The order list pages by (placed_at, id): one index range for any page.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_tenant_id_placed_at')
        batch_op.create_index('ix_orders_tenant_id_placed_at_id', ['tenant_id', 'placed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_tenant_id_placed_at_id')
        batch_op.create_index('ix_orders_tenant_id_placed_at', ['tenant_id', 'placed_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS ledger_checkpoints_no_truncate ON ledger_checkpoints')
        op.execute('DROP TRIGGER IF EXISTS ledger_checkpoints_immutable ON ledger_checkpoints')
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_checkpoints_upto_seq')
        batch_op.drop_index('ix_ledger_checkpoints_shop_id_upto_seq')
    op.drop_table('ledger_checkpoints')
