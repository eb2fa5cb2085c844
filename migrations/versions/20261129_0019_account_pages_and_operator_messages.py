"""the customer's account: address book, messages to the operator

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 13:20:00

"""
from alembic import op
import sqlalchemy as sa


import tenants.rls  # noqa: F401  (op.enable_tenant_rls)

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('welcomed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_default', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('operator_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('submission_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('sender', sa.LargeBinary(), nullable=False),
    sa.Column('subject', sa.LargeBinary(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_operator_messages_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_operator_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_messages')),
    sa.UniqueConstraint('submission_digest', name=op.f('uq_operator_messages_submission_digest'))
    )
    with op.batch_alter_table('operator_messages', schema=None) as batch_op:
        batch_op.create_index('ix_operator_messages_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_messages_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('operator_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_messages_user_id'))
        batch_op.drop_index('ix_operator_messages_created_at_id')

    op.drop_table('operator_messages')
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.drop_column('is_default')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('welcomed_at')
