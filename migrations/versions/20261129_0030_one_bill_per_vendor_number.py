"""one bill per vendor number

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-29 23:02:20.020989

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    # A vendor's bill number once per vendor (void bills and blank numbers aside): the last
    # guard against recording, and paying, the same bill twice.
    op.create_index('uq_vendor_bills_vendor_number', 'vendor_bills', ['tenant_id', 'vendor_id', 'vendor_number'], unique=True, postgresql_where=sa.text("vendor_number != '' AND status != 'void'"), sqlite_where=sa.text("vendor_number != '' AND status != 'void'"))


def downgrade():
    op.drop_index('uq_vendor_bills_vendor_number', table_name='vendor_bills', postgresql_where=sa.text("vendor_number != '' AND status != 'void'"), sqlite_where=sa.text("vendor_number != '' AND status != 'void'"))
