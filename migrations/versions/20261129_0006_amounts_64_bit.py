"""amounts 64-bit

Prices and the product's price summary become BIGINT on PostgreSQL (a price may
pass 2**31 minor units: $21,474,836.47; see ``mall.money``). SQLite's INTEGER
is 64-bit already, and ``mall.money.AMOUNT`` stays INTEGER there, so nothing
changes on SQLite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = [
    ("variants", "price", False),
    ("variants", "compare_at_price", True),
    ("products", "price_min", False),
    ("products", "price_max", False),
    ("products", "compare_at_max", True),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table, column, type_=sa.BigInteger(), existing_type=sa.Integer(),
            existing_nullable=nullable,
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Fails (integer out of range) while a stored amount needs 64 bits: nothing is cut silently.
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Integer(), existing_type=sa.BigInteger(),
            existing_nullable=nullable,
        )
