"""Fixtures: one app and schema per backend per session, a savepoint per test.

Every database test runs on SQLite and, when ``MALL_TEST_DATABASE_URL`` is set,
on PostgreSQL as the non-owner app role (the schema is built by migrations
run as the owner, ``MALL_TEST_MIGRATION_DATABASE_URL``). Redis tests run when
``MALL_TEST_REDIS_URL`` is set. With ``MALL_REQUIRE_FULL_SUITE=1`` (CI) a
skipped PostgreSQL, Redis or browser test fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import flask_migrate
import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event

from config import TestingConfig
from mall import create_app, load_models
from mall.extensions import db, limiter
from tenants.models import Tenant, TenantStatus
from tenants.rls import enable_statements
from tenants.scoping import is_tenant_table
from tenants.services import create_shop
from tests.support.models import SUPPORT_TABLES, SupportBase
from tests.support.probe import bp as probe_blueprint

load_models()  # so collection sees every model (e.g. the schema checks' parameters)

PG_URL = os.environ.get("MALL_TEST_DATABASE_URL")
PG_MIGRATION_URL = os.environ.get("MALL_TEST_MIGRATION_DATABASE_URL") or PG_URL
REDIS_URL = os.environ.get("MALL_TEST_REDIS_URL")
REQUIRE_FULL_SUITE = os.environ.get("MALL_REQUIRE_FULL_SUITE") == "1"
BACKENDS = ("sqlite", "postgresql")


# ---------------------------------------------------------------- app and schema


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL suite: set MALL_TEST_DATABASE_URL (see .ci/run)")
    return request.param


def make_test_app(backend: str, instance_path, **environ: str):
    """A fresh app on an empty, migrated database of ``backend``."""
    if backend == "sqlite":
        url = f"sqlite:///{instance_path / 'test.db'}"
        migration_url = url
    else:
        url, migration_url = PG_URL, PG_MIGRATION_URL
        reset_postgres_schema(migration_url, app_role=sa.make_url(url).username)
    config = TestingConfig(
        {"MALL_DATABASE_URL": url, "MALL_MIGRATION_DATABASE_URL": migration_url, **environ},
        instance_path=instance_path,
    )
    app = create_app(config)
    app.register_blueprint(probe_blueprint)
    with app.app_context():
        flask_migrate.upgrade()
        create_support_tables(migration_url, app_role=sa.make_url(url).username)
    return app


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory):
    app = make_test_app(backend, tmp_path_factory.mktemp(f"instance-{backend}"))
    yield app
    dispose_app(app)


def dispose_app(app) -> None:
    """Close every pooled connection the app holds (main database and key store)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    app.extensions["mall.keys"].store.dispose()


def reset_postgres_schema(owner_url: str, *, app_role: str | None) -> None:
    """Drop and recreate the public schema as the owner, so migrations start empty."""
    engine = sa.create_engine(_psycopg(owner_url))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
        if app_role:
            connection.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{app_role}"'))
    engine.dispose()


def create_support_tables(owner_url: str, *, app_role: str | None) -> None:
    """Create the test-only tenant tables with the same RLS as real ones."""
    engine = sa.create_engine(_psycopg(owner_url))
    with engine.begin() as connection:
        SupportBase.metadata.create_all(connection, tables=SUPPORT_TABLES)
        if connection.dialect.name == "postgresql":
            for table in SUPPORT_TABLES:
                if not is_tenant_table(table.name):
                    continue
                for statement in enable_statements(table.name):
                    connection.execute(sa.text(statement))
            if app_role:
                connection.execute(
                    sa.text(
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                        f'TO "{app_role}"'
                    )
                )
    engine.dispose()


def _psycopg(url: str) -> str:
    from config import normalise_database_url

    return normalise_database_url(url) or url


# ---------------------------------------------------------------- per-test transaction


@pytest.fixture
def database(app) -> Iterator[sa.Connection]:
    """One connection in an outer transaction; every session commits to savepoints in it."""
    forget_cached_pages(app)
    with app.app_context():
        limiter.reset()  # no test inherits another's requests (search allows 60 a minute)
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield connection
        finally:
            db.session.remove()
            db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
            outer.rollback()
            connection.close()


def forget_cached_pages(app) -> None:
    """Each test starts with empty caches: the last one's rows were rolled back."""
    for cache in (app.extensions.get("mall.pagecache"), app.extensions.get("mall.shop_cache")):
        if cache is not None:
            cache.clear()


@pytest.fixture
def app_ctx(app, database):
    """An app context bound to the per-test transaction."""
    with app.app_context():
        yield app


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (``g``, DB session), as in production.

    Flask reuses an app context that is already active, so without this a test
    holding ``app_ctx`` would share ``g`` and the session with every request.
    """

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def client(app, database):
    app.test_client_class = IsolatedClient
    return app.test_client()


# ---------------------------------------------------------------- factories


@pytest.fixture
def make_shop(app_ctx):
    counter = iter(range(1, 10_000))

    def make(
        slug: str | None = None, *, status: TenantStatus = TenantStatus.ACTIVE, **kw
    ) -> Tenant:
        n = next(counter)
        shop = create_shop(
            slug or f"shop-{n:04d}", name=kw.pop("name", f"Shop {n}"), status=status, **kw
        )
        db.session.commit()
        return shop

    return make


@pytest.fixture
def shop_a(make_shop) -> Tenant:
    return make_shop("shop-a", name="Shop A")


@pytest.fixture
def shop_b(make_shop) -> Tenant:
    return make_shop("shop-b", name="Shop B")


# ---------------------------------------------------------------- query counting


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)
    scope_sets: int = 0  # set_config('mall.tenant_id', …) round trips (PostgreSQL)

    @property
    def count(self) -> int:
        """Statements other than set_config and savepoints."""
        return len(self.statements)

    @property
    def round_trips(self) -> int:
        """Every statement sent, set_config included (savepoints excluded)."""
        return len(self.statements) + self.scope_sets


@pytest.fixture
def count_queries(app, database):
    """``with count_queries() as q: …`` then ``q.count`` (set_config calls apart, in
    ``q.scope_sets``; ``q.round_trips`` counts both). The page and shop caches are
    emptied first unless ``cold=False``."""
    from contextlib import contextmanager

    @contextmanager
    def counting(*, cold: bool = True) -> Iterator[QueryCounter]:
        # Cold by default: the bound is on rendering; a cached page costs no query at all.
        if cold:
            forget_cached_pages(app)
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            if "set_config('mall.tenant_id'" in statement:
                counter.scope_sets += 1
            elif "SAVEPOINT" not in statement:
                counter.statements.append(statement)

        event.listen(database, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(database, "before_cursor_execute", record)

    return counting


# ---------------------------------------------------------------- redis


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis suite: set MALL_TEST_REDIS_URL (see .ci/run)")
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


# ---------------------------------------------------------------- CI: nothing skipped

FULL_SUITE_MARKS = ("postgresql suite", "redis suite", "browser suite")


def pytest_sessionfinish(session, exitstatus) -> None:
    if not REQUIRE_FULL_SUITE:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    missing = [
        report.nodeid
        for report in skipped
        if any(mark in str(report.longrepr).lower() for mark in FULL_SUITE_MARKS)
    ]
    session.config._mall_skipped_required = missing
    if missing and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    missing = getattr(config, "_mall_skipped_required", [])
    if missing:
        terminalreporter.section("full suite required (MALL_REQUIRE_FULL_SUITE=1)")
        terminalreporter.write_line(
            f"FAILED: {len(missing)} PostgreSQL/Redis/browser test(s) were skipped:"
        )
        for nodeid in missing[:20]:
            terminalreporter.write_line(f"  {nodeid}")


# ---------------------------------------------------------------- accounts

DEFAULT_PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app_ctx):
    """``make_user(email=…, operator=False, verified=True, name=…)`` -> a committed User."""
    from mall.accounts.services import create_user

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, password: str = DEFAULT_PASSWORD, **kw):
        n = next(counter)
        user = create_user(
            email or f"user{n}@example.com",
            password,
            name=kw.pop("name", f"User {n}"),
            verified=kw.pop("verified", True),
            operator=kw.pop("operator", False),
            **kw,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def sign_in(client):
    """``sign_in(user)``: the test client is signed in as ``user`` (ids-only session)."""

    def do(user, c=None) -> None:
        with (c or client).session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    return do


@pytest.fixture
def operator(make_user):
    return make_user("operator@example.com", operator=True, name="Olive Operator")


@pytest.fixture
def member_of_a(shop_a, make_user, sign_in):
    """A signed-in owner of shop A."""
    from mall.shops.models import Membership, Role

    member = make_user("member-a@example.com", name="Member A")
    db.session.add(Membership(user_id=member.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(member)
    return member
