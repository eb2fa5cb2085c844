"""affiliate rollup indexes: the job reads a day's rows, its last rollup and the last run
overall every ten minutes, and replaces a day's landing pages (no scan of every day)

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 19:13:48.842946

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_affiliate_daily_pages_day', 'affiliate_daily_pages', ['day'], unique=False)
    op.create_index('ix_affiliate_daily_stats_day_rolled_at', 'affiliate_daily_stats', ['day', 'rolled_at'], unique=False)
    op.create_index('ix_affiliate_daily_stats_rolled_at', 'affiliate_daily_stats', ['rolled_at'], unique=False)


def downgrade():
    op.drop_index('ix_affiliate_daily_stats_rolled_at', table_name='affiliate_daily_stats')
    op.drop_index('ix_affiliate_daily_stats_day_rolled_at', table_name='affiliate_daily_stats')
    op.drop_index('ix_affiliate_daily_pages_day', table_name='affiliate_daily_pages')
