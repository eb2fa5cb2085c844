"""a shop's customers, notes, tags and message threads

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 13:20:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


AMOUNT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('crm_customers',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.LargeBinary(), nullable=False),
    sa.Column('email_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('name', sa.LargeBinary(), nullable=True),
    sa.Column('notes', sa.LargeBinary(), nullable=True),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.Column('orders_count', sa.Integer(), nullable=False),
    sa.Column('lifetime_value', AMOUNT, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('last_order_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_crm_customers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_crm_customers')),
    sa.UniqueConstraint('tenant_id', 'email_index', name=op.f('uq_crm_customers_tenant_id_email_index'))
    )
    op.enable_tenant_rls('crm_customers')
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.create_index('ix_crm_customers_tenant_id_last_seen_at_id', ['tenant_id', 'last_seen_at', 'id'], unique=False)

    op.create_table('crm_threads',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('open', 'waiting', 'closed', name='threadstatus', native_enum=False, length=16), nullable=False),
    sa.Column('subject', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_crm_threads_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['crm_customers.tenant_id', 'crm_customers.id'], name=op.f('fk_crm_threads_tenant_id_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_crm_threads_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_threads_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_crm_threads'))
    )
    op.enable_tenant_rls('crm_threads')
    with op.batch_alter_table('crm_threads', schema=None) as batch_op:
        batch_op.create_index('ix_crm_threads_tenant_id_assignee_id', ['tenant_id', 'assignee_id'], unique=False)
        batch_op.create_index('ix_crm_threads_tenant_id_customer_id', ['tenant_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_crm_threads_tenant_id_last_message_at_id', ['tenant_id', 'last_message_at', 'id'], unique=False)

    op.create_table('crm_messages',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('author', sa.Enum('customer', 'staff', name='author', native_enum=False, length=16), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('request_key', sa.String(length=32), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_crm_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'thread_id'], ['crm_threads.tenant_id', 'crm_threads.id'], name=op.f('fk_crm_messages_tenant_id_thread_id_crm_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_crm_messages_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_crm_messages')),
    sa.UniqueConstraint('tenant_id', 'request_key', name=op.f('uq_crm_messages_tenant_id_request_key'))
    )
    op.enable_tenant_rls('crm_messages')
    with op.batch_alter_table('crm_messages', schema=None) as batch_op:
        batch_op.create_index('ix_crm_messages_tenant_id_thread_id_created_at', ['tenant_id', 'thread_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_messages_tenant_id_thread_id_created_at')

    op.drop_table('crm_messages')
    with op.batch_alter_table('crm_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_threads_tenant_id_last_message_at_id')
        batch_op.drop_index('ix_crm_threads_tenant_id_customer_id')
        batch_op.drop_index('ix_crm_threads_tenant_id_assignee_id')

    op.drop_table('crm_threads')
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_customers_tenant_id_last_seen_at_id')

    op.drop_table('crm_customers')
