"""PostgreSQL row-level security for tenant tables, as an Alembic operation.

Migrations call ``op.enable_tenant_rls("orders")`` after creating a tenant
table; autogenerate writes that line itself (see ``migrations/env.py``). On
SQLite the operation does nothing: isolation there rests on the ORM guard, and
the isolation tests run on PostgreSQL too.
"""

from __future__ import annotations

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations

POLICY_NAME = "tenant_isolation"
# '' (no tenant) makes NULLIF yield NULL, which matches no row: fail closed.
# '*' is stripped before the cast too: PostgreSQL may evaluate both sides of
# the OR, and '*'::uuid would raise instead of matching every shop.
POLICY_PREDICATE = (
    "tenant_id = NULLIF(NULLIF(current_setting('mall.tenant_id', true), ''), '*')::uuid "
    "OR current_setting('mall.tenant_id', true) = '*'"
)


def enable_statements(table: str) -> list[str]:
    """The SQL that puts ``table`` under row-level security."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" '
        f"USING ({POLICY_PREDICATE}) WITH CHECK ({POLICY_PREDICATE})",
    ]


def disable_statements(table: str) -> list[str]:
    """The SQL that takes ``table`` out of row-level security."""
    return [
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


@Operations.register_operation("enable_tenant_rls")
class EnableTenantRLSOp(MigrateOperation):
    """Enable and force row-level security with the tenant policy."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def enable_tenant_rls(cls, operations: Operations, table_name: str) -> None:
        return operations.invoke(cls(table_name))

    def reverse(self) -> DisableTenantRLSOp:
        return DisableTenantRLSOp(self.table_name)


@Operations.register_operation("disable_tenant_rls")
class DisableTenantRLSOp(MigrateOperation):
    """Drop the tenant policy and row-level security."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def disable_tenant_rls(cls, operations: Operations, table_name: str) -> None:
        return operations.invoke(cls(table_name))

    def reverse(self) -> EnableTenantRLSOp:
        return EnableTenantRLSOp(self.table_name)


@Operations.implementation_for(EnableTenantRLSOp)
def _enable(operations: Operations, operation: EnableTenantRLSOp) -> None:
    if operations.get_bind().dialect.name == "postgresql":
        for statement in enable_statements(operation.table_name):
            operations.execute(statement)


@Operations.implementation_for(DisableTenantRLSOp)
def _disable(operations: Operations, operation: DisableTenantRLSOp) -> None:
    if operations.get_bind().dialect.name == "postgresql":
        for statement in disable_statements(operation.table_name):
            operations.execute(statement)


@renderers.dispatch_for(EnableTenantRLSOp)
def _render_enable(context: AutogenContext, op: EnableTenantRLSOp) -> str:
    return f"op.enable_tenant_rls({op.table_name!r})"


@renderers.dispatch_for(DisableTenantRLSOp)
def _render_disable(context: AutogenContext, op: DisableTenantRLSOp) -> str:
    return f"op.disable_tenant_rls({op.table_name!r})"
