"""Alembic environment: runs as the owner (MALL_MIGRATION_DATABASE_URL)."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate import rewriter
from alembic.operations import ops
from flask import current_app
from sqlalchemy.pool import NullPool

from mall.db import UTCDateTime
from tenants.rls import EnableTenantRLSOp
from tenants.scoping import is_tenant_table

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

target_metadata = current_app.extensions["migrate"].db.metadata
database_url = current_app.config["MIGRATION_DATABASE_URL"]

writer = rewriter.Rewriter()


@writer.rewrites(ops.CreateTableOp)
def enable_rls_on_tenant_tables(context, revision, op):
    """Every new tenant table gets row-level security in the same migration."""
    if is_tenant_table(op.table_name):
        return [op, EnableTenantRLSOp(op.table_name)]
    return op


# Tables the migrations make outside the models (SQLite's FTS5 index and its shadows).
UNMAPPED_TABLE_PREFIXES = ("product_search",)
# Dialect-specific indexes the migrations make by hand (a GIN index on PostgreSQL).
UNMAPPED_INDEXES = ("ix_products_search_vector",)


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate leaves alone what the models do not map on purpose."""
    if type_ == "table" and reflected and name.startswith(UNMAPPED_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name in UNMAPPED_INDEXES)


def render_item(type_, obj, autogen_context):
    """Render Mall's UTC timestamp type as the column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty(context, revision, directives):
    if getattr(context.config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")
            return
    writer(context, revision, directives)


def configure(**kwargs):
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
        process_revision_directives=skip_empty,
        **kwargs,
    )


def run_migrations_offline():
    configure(url=database_url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = sa.create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # FORCE ROW LEVEL SECURITY binds the owner too: data migrations see every shop.
            connection.execute(sa.text("SELECT set_config('mall.tenant_id', '*', false)"))
            connection.commit()
        sqlite = connection.dialect.name == "sqlite"
        # mall.db makes SQLAlchemy issue BEGIN on SQLite, so its DDL is transactional too.
        configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
