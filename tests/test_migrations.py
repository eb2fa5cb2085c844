"""Migrations: one head, they build the schema, and models agree with them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from mall.extensions import db
from tests.conftest import dispose_app, make_test_app
from tests.support.models import SUPPORT_TABLES


def script_directory(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_one_head(app):
    with app.app_context():
        assert len(script_directory(app).get_heads()) == 1


def test_models_and_migrations_agree(app_ctx):
    """Autogenerate against the migrated database finds nothing to do."""
    support = {t.name for t in SUPPORT_TABLES}
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "target_metadata": db.metadata}
    )
    differences = [
        d
        for d in compare_metadata(context, db.metadata)
        if not (d[0] == "remove_table" and d[1].name in support)
        and not (d[0] == "remove_table" and d[1].name.startswith("product_search"))
        and not (d[0] == "remove_index" and d[1].table.name in support)
        and not (d[0] == "remove_index" and d[1].name == "ix_products_search_vector")
    ]
    assert differences == []


def test_database_is_at_head(app_ctx):
    context = MigrationContext.configure(db.session.connection())
    assert set(context.get_current_heads()) == set(script_directory(app_ctx).get_heads())


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    app = make_test_app("sqlite", tmp_path)
    with app.app_context():
        downgrade(revision="base")
        tables = sa.inspect(db.engine).get_table_names()
        assert set(tables) - {"alembic_version", *(t.name for t in SUPPORT_TABLES)} == set()
        upgrade()
        assert "tenants" in sa.inspect(db.engine).get_table_names()
    dispose_app(app)


@pytest.mark.parametrize("statement", ["ALTER TABLE", "CREATE POLICY"])
def test_tenant_rls_operation_renders_sql(statement):
    from tenants.rls import enable_statements

    assert any(s.startswith(statement) for s in enable_statements("orders"))
