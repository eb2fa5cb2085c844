"""Every tenant table follows the rules: tenant_id leads its keys; RLS on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants.scoping import tenant_models

TENANT_CLASSES = list(tenant_models())


def tenant_table_names() -> set[str]:
    return {cls.__table__.name for cls in TENANT_CLASSES}


def test_there_are_tenant_tables_to_check():
    assert TENANT_CLASSES, "no TenantScoped models were found"


@pytest.mark.parametrize("model", TENANT_CLASSES, ids=lambda c: c.__tablename__)
def test_tenant_id_leads_the_primary_key(model):
    assert [c.name for c in model.__table__.primary_key.columns] == ["tenant_id", "id"]


@pytest.mark.parametrize("model", TENANT_CLASSES, ids=lambda c: c.__tablename__)
def test_tenant_id_leads_every_unique_constraint_and_index(model):
    table = model.__table__
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            assert constraint.columns.keys()[0] == "tenant_id", constraint.name
    for index in table.indexes:
        if index.unique:
            assert index.columns.keys()[0] == "tenant_id", index.name


@pytest.mark.parametrize("model", TENANT_CLASSES, ids=lambda c: c.__tablename__)
def test_foreign_keys_between_tenant_tables_include_tenant_id(model):
    for fk in model.__table__.foreign_key_constraints:
        if fk.referred_table.name in tenant_table_names():
            assert fk.column_keys[0] == "tenant_id", fk.name
            assert fk.elements[0].column.name == "tenant_id", fk.name


def test_no_table_carries_a_tenant_id_key_without_the_mixin():
    """A table keyed by tenant_id outside TenantScoped would escape the ORM guard."""
    for table in db.metadata.sorted_tables:
        pk = [c.name for c in table.primary_key.columns]
        if "tenant_id" in pk:
            assert table.name in tenant_table_names(), table.name


def _reflected_tenant_tables(connection: sa.Connection) -> set[str]:
    inspector = sa.inspect(connection)
    return {
        name
        for name in inspector.get_table_names()
        if "tenant_id" in inspector.get_pk_constraint(name)["constrained_columns"]
    }


def test_every_tenant_table_in_the_database_has_forced_rls_and_a_policy(app_ctx, backend):
    if backend != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    connection = db.session.connection()
    tables = _reflected_tenant_tables(connection) | tenant_table_names()
    rows = connection.execute(
        sa.text(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policies p
                     WHERE p.tablename = c.relname AND p.qual IS NOT NULL
                       AND p.with_check IS NOT NULL) AS policies
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname = ANY(:tables)
            """
        ),
        {"tables": sorted(tables)},
    ).all()
    assert {r.relname for r in rows} == tables
    for row in rows:
        assert row.relrowsecurity, f"{row.relname}: RLS not enabled"
        assert row.relforcerowsecurity, f"{row.relname}: RLS not forced"
        assert row.policies >= 1, f"{row.relname}: no policy with USING and WITH CHECK"


def test_app_role_is_neither_superuser_nor_bypasses_rls_nor_owns_tables(app_ctx, backend):
    if backend != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    connection = db.session.connection()
    role = connection.execute(
        sa.text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert not role.rolsuper
    assert not role.rolbypassrls
    owned = connection.scalar(
        sa.text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = current_user"
        )
    )
    assert owned == 0, "the app role must own no table (owners can switch RLS off)"
