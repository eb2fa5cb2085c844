"""the ledger's sales lines by shop and time, covering (the Money page's weekly chart)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 13:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SALES = "kind IN ('sale', 'discount_shop', 'refund')"


def upgrade():
    op.create_index(
        'ix_ledger_lines_shop_id_posted_at_sales',
        'ledger_lines',
        ['shop_id', 'posted_at'],
        unique=False,
        postgresql_include=['kind', 'amount'],
        postgresql_where=sa.text(SALES),
        sqlite_where=sa.text(SALES),
    )


def downgrade():
    op.drop_index('ix_ledger_lines_shop_id_posted_at_sales', table_name='ledger_lines')
