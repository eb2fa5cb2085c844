"""affiliates' connected Stripe accounts (Express onboarding): whether transfers are active,
whether the details were submitted, what Stripe still needs, when Mall last heard; one
affiliate per connected account

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 18:50:51

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # affiliates is a platform table: no row-level security to add.
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_transfers_active', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('stripe_details_submitted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('stripe_requirements', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('stripe_synced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_affiliates_stripe_account_id'), ['stripe_account_id'])


def downgrade():
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_affiliates_stripe_account_id'), type_='unique')
        batch_op.drop_column('stripe_synced_at')
        batch_op.drop_column('stripe_requirements')
        batch_op.drop_column('stripe_details_submitted')
        batch_op.drop_column('stripe_transfers_active')
