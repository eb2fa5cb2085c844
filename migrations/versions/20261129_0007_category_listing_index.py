"""category pages served by an index

A category page lists the published products of a category (and those below
it), newest first. ``(category_id, status, published_at)`` serves that order
per category; it replaces ``(category_id, status)``, its prefix.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_products_category_id_status_published_at",
        "products",
        ["category_id", "status", "published_at"],
    )
    op.drop_index("ix_products_category_id_status", table_name="products")


def downgrade():
    op.create_index("ix_products_category_id_status", "products", ["category_id", "status"])
    op.drop_index("ix_products_category_id_status_published_at", table_name="products")
