"""payments, webhook events and offline cards

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 14:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
