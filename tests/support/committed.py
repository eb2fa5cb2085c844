"""Apps of their own, where tests commit for real (races between threads, dumps, tampering).

The session's ``app`` rolls every test back; a test whose threads must see each other's
commits needs a database nobody else is using. On PostgreSQL that is the second test
database (``MALL_TEST_DUMP_DATABASE_URL``, migrated as ``…_DUMP_MIGRATION_…``); on
SQLite a fresh file. A module takes the fixture by binding it::

    pytestmark = needs_committed_pg
    committed_app = committed_app_fixture()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import conftest

PG_DUMP_URL = os.environ.get("MALL_TEST_DUMP_DATABASE_URL")
PG_DUMP_MIGRATION_URL = os.environ.get("MALL_TEST_DUMP_MIGRATION_DATABASE_URL") or PG_DUMP_URL

needs_committed_pg = pytest.mark.skipif(
    not PG_DUMP_URL, reason="PostgreSQL suite: set MALL_TEST_DUMP_DATABASE_URL"
)


@contextmanager
def own_app(backend: str, instance_path: Path) -> Iterator[Flask]:
    """A fresh, migrated app of ``backend`` (PostgreSQL: the dump database), disposed after."""
    if backend == "sqlite":
        app = conftest.make_test_app("sqlite", instance_path)
    else:
        # make_test_app reads the module's URLs: point them at the dump database meanwhile.
        saved = conftest.PG_URL, conftest.PG_MIGRATION_URL
        conftest.PG_URL, conftest.PG_MIGRATION_URL = PG_DUMP_URL, PG_DUMP_MIGRATION_URL
        try:
            app = conftest.make_test_app("postgresql", instance_path)
        finally:
            conftest.PG_URL, conftest.PG_MIGRATION_URL = saved
    try:
        yield app
    finally:
        conftest.dispose_app(app)


def committed_app_fixture(**config: Any) -> Callable[..., Iterator[Flask]]:
    """A module-scoped ``committed_app`` fixture: an app on the dump database, ``config`` set."""

    @pytest.fixture(scope="module")
    def committed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
        with own_app("postgresql", tmp_path_factory.mktemp("committed")) as app:
            app.config.update(config)
            yield app

    return committed_app
