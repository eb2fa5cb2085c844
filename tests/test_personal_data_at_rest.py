"""A dump of the main database holds no personal data: only ciphertext.

The demo is seeded for real (committed), then the SQLite file's bytes and a
``pg_dump`` of PostgreSQL are searched for every seeded email, name, phone
number and IP address, in several encodings. The key store is a separate
database and is not part of the dump: that is the point.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import sqlalchemy as sa

from mall.demo.people import DEMO_PERSONAL_DATA, seed_demo
from mall.extensions import db
from tests.conftest import dispose_app, make_test_app

PG_DUMP_URL = os.environ.get("MALL_TEST_DUMP_DATABASE_URL")
PG_DUMP_MIGRATION_URL = os.environ.get("MALL_TEST_DUMP_MIGRATION_DATABASE_URL") or PG_DUMP_URL
# FORCE ROW LEVEL SECURITY stops the owner's pg_dump: backups run as a role with
# BYPASSRLS (the superuser in CI), which still sees only ciphertext.
BACKUP_ROLE = os.environ.get("MALL_TEST_BACKUP_ROLE", "postgres")


def variants(value: str) -> set[bytes]:
    """The ways a value could sit in a dump: as typed, lower case, UTF-16."""
    forms = {value, value.lower(), value.upper()}
    return {f.encode() for f in forms} | {f.encode("utf-16-le") for f in forms}


def seeded_app(backend: str, tmp_path, **urls):
    app = make_test_app(backend, tmp_path, **urls)
    with app.app_context():
        seed_demo()
        db.session.commit()
        # Prove the data really is there, and readable through the app.
        from mall.accounts.services import find_user_by_email

        assert find_user_by_email("carla.customer@mall.example").name == "Carla Jensen-Whitfield"
    return app


def assert_no_personal_data(dump: bytes) -> None:
    assert len(dump) > 10_000, "the dump looks empty"
    found = [value for value in DEMO_PERSONAL_DATA if any(v in dump for v in variants(value))]
    assert found == [], f"personal data in the dump: {found}"


def test_sqlite_file_holds_no_personal_data(tmp_path):
    app = seeded_app("sqlite", tmp_path)
    dispose_app(app)
    dump = (tmp_path / "test.db").read_bytes()
    assert b"green-thumb" in dump  # shop slugs are not personal data: the dump is real
    assert_no_personal_data(dump)


@pytest.mark.skipif(not PG_DUMP_URL, reason="PostgreSQL suite: set MALL_TEST_DUMP_DATABASE_URL")
def test_pg_dump_holds_no_personal_data(tmp_path):
    from tests import conftest

    saved = conftest.PG_URL, conftest.PG_MIGRATION_URL
    conftest.PG_URL, conftest.PG_MIGRATION_URL = PG_DUMP_URL, PG_DUMP_MIGRATION_URL
    try:
        app = seeded_app("postgresql", tmp_path)
    finally:
        conftest.PG_URL, conftest.PG_MIGRATION_URL = saved
    dispose_app(app)
    url = sa.make_url(PG_DUMP_MIGRATION_URL)
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            BACKUP_ROLE,
            url.database,
        ],
        check=True,
        capture_output=True,
    ).stdout
    assert b"COPY public.users" in dump and b"COPY public.invitations" in dump
    assert_no_personal_data(dump)
    # The owner's own pg_dump is refused: FORCE binds the owner too.
    as_owner = subprocess.run(
        ["pg_dump", "-h", url.host or "127.0.0.1", "-U", url.username, url.database],
        capture_output=True,
    )
    assert as_owner.returncode != 0
    assert b"row-level security" in as_owner.stderr
