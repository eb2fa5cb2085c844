"""recurring invoices keep their first date (invoice_schedules.first_issue_on); the reminder
sweep reads open invoices by due date (partial index ix_sales_documents_overdue)

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-29 22:26:23

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

OPEN_INVOICES = "kind = 'invoice' AND status = 'sent'"

# Frozen shapes of the two tables, as this migration reads them (not the app's models).
schedules = sa.table(
    'invoice_schedules',
    sa.column('tenant_id', sa.Uuid()),
    sa.column('id', sa.Uuid()),
    sa.column('next_issue_on', sa.Date()),
    sa.column('issued_count', sa.Integer()),
    sa.column('first_issue_on', sa.Date()),
)
documents = sa.table(
    'sales_documents',
    sa.column('tenant_id', sa.Uuid()),
    sa.column('id', sa.Uuid()),
    sa.column('schedule_id', sa.Uuid()),
    sa.column('request_key', sa.String()),
    sa.column('created_at', sa.DateTime()),
)


def _period_of_key(key):
    """The period a schedule's copy was issued for: its request key is
    ``<schedule id hex>:<day number hex>`` (``mall.orders.entry.recurring.period_key``)."""
    _, sep, day = (key or '').partition(':')
    try:
        return date.fromordinal(int(day, 16)) if sep else None
    except (ValueError, OverflowError):
        return None


def _fill_first_dates():
    """Each schedule's first date: ``next_issue_on`` while it issued nothing; else the period
    of its first copy, as the app recovered it until now. (Migrations run with
    mall.tenant_id = '*': row-level security lets every shop's rows through.)"""
    bind = op.get_bind()
    bind.execute(sa.update(schedules).values(first_issue_on=schedules.c.next_issue_on))
    issued = bind.execute(
        sa.select(schedules.c.tenant_id, schedules.c.id).where(schedules.c.issued_count > 0)
    ).all()
    for tenant_id, schedule_id in issued:
        key = bind.execute(
            sa.select(documents.c.request_key)
            .where(documents.c.tenant_id == tenant_id, documents.c.schedule_id == schedule_id)
            .order_by(documents.c.created_at, documents.c.id)
            .limit(1)
        ).scalar()
        first = _period_of_key(key)
        if first is not None:  # no copy found: the day stays as it is (next_issue_on)
            bind.execute(
                sa.update(schedules)
                .where(schedules.c.tenant_id == tenant_id, schedules.c.id == schedule_id)
                .values(first_issue_on=first)
            )


def upgrade():
    with op.batch_alter_table('invoice_schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_issue_on', sa.Date(), nullable=True))
    _fill_first_dates()
    with op.batch_alter_table('invoice_schedules', schema=None) as batch_op:
        batch_op.alter_column('first_issue_on', existing_type=sa.Date(), nullable=False)
    op.create_index(
        'ix_sales_documents_overdue',
        'sales_documents',
        ['due_on'],
        unique=False,
        postgresql_where=sa.text(OPEN_INVOICES),
        sqlite_where=sa.text(OPEN_INVOICES),
    )


def downgrade():
    op.drop_index(
        'ix_sales_documents_overdue',
        table_name='sales_documents',
        postgresql_where=sa.text(OPEN_INVOICES),
        sqlite_where=sa.text(OPEN_INVOICES),
    )
    with op.batch_alter_table('invoice_schedules', schema=None) as batch_op:
        batch_op.drop_column('first_issue_on')
