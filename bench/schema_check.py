"""Keep a bench database whose data is current when only the migrations' text changed.

``bench.run.ensure_database`` rebuilds a database whenever its fingerprint changes, and
the fingerprint covers every migration file: a comment or a reordering in a migration
(frequent while an issue is under way) would throw away ``mall_bench_orders``, which
takes half an hour to generate. ``keep_if_same_schema`` avoids that when it can:

1. the data must come from the current generators (``generators`` equals the mark left
   on the database by ``mark``: a comment on one of its tables);
2. a scratch database (``mall_bench_schema``) is migrated from nothing with today's
   migrations, and its schema (``pg_dump --schema-only``, without owners, grants and
   comments) must equal the bench database's, line for line.

Then the bench database gets the scratch's Alembic revision and the new fingerprint, and
is kept; otherwise nothing changes and ``ensure_database`` rebuilds it as before.

When migrations were only added (the database's revision is among today's, older than the
head), the database is first upgraded in place with ``flask db upgrade``, as a deployment
would be: new tables and indexes are made on the existing 21 million rows in minutes
instead of generating them again in half an hour. The comparison then decides as above.
"""

from __future__ import annotations

import hashlib
import subprocess

from bench import run

SCRATCH = "mall_bench_schema"
MARKED_TABLE = "orders"


def generators_digest(files: list[str], args: list[str]) -> str:
    """sha256 of the generator modules (``bench/<name>.py``) and their arguments."""
    digest = hashlib.sha256(" ".join(args).encode())
    for name in files:
        digest.update((run.BENCH / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def mark(db: str, generators: str) -> None:
    """Leave the generators' digest on the database (a comment on ``MARKED_TABLE``)."""
    run.psql(f"COMMENT ON TABLE {MARKED_TABLE} IS 'generators:{generators}'", db)


def _comment(db: str) -> str:
    return run.psql(
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'"
    )


def _schema(db: str) -> list[str]:
    done = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--schema-only", "--no-owner",
         "--no-privileges", "--no-comments", "-d", db],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    # Comments name pg_dump's and the server's versions; ``\restrict`` lines carry a random
    # key per dump (pg_dump 17.6 and later).
    skip = ("--", "\\restrict", "\\unrestrict")
    return [line for line in done.stdout.splitlines() if line and not line.startswith(skip)]


def _migrated_scratch() -> None:
    run.psql(f"DROP DATABASE IF EXISTS {SCRATCH}")
    run.psql(f"CREATE DATABASE {SCRATCH} OWNER mall_owner")
    run.psql(
        "ALTER DEFAULT PRIVILEGES FOR ROLE mall_owner "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mall_app; "
        f"GRANT CONNECT ON DATABASE {SCRATCH} TO mall_app",
        SCRATCH,
    )
    subprocess.run(
        [run.ROOT / ".venv/bin/flask", "--app", "wsgi", "db", "upgrade"],
        env=run.mall_env(SCRATCH), cwd=run.ROOT, check=True, capture_output=True,
    )  # fmt: skip


def _revisions() -> list[str]:
    """Today's migration revisions, oldest first (the ``revision = '…'`` of each file)."""
    found = []
    for path in sorted((run.ROOT / "migrations" / "versions").glob("*.py")):
        for line in path.read_text().splitlines():
            if line.startswith("revision = "):
                found.append(line.split("=", 1)[1].strip().strip("'\""))
                break
    return found


def _upgrade_if_behind(db: str) -> None:
    """``flask db upgrade`` on ``db`` when its revision is an older one of today's migrations."""
    have = run.psql("SELECT version_num FROM alembic_version", db)
    revisions = _revisions()
    if have not in revisions or have == revisions[-1]:
        return
    run.log(f"{db}: at revision {have}; upgrading it in place to {revisions[-1]}")
    subprocess.run(
        [run.ROOT / ".venv/bin/flask", "--app", "wsgi", "db", "upgrade"],
        env=run.mall_env(db), cwd=run.ROOT, check=True, capture_output=True,
    )  # fmt: skip


def keep_if_same_schema(db: str, want: str, generators: str) -> bool:
    """Stamp ``db`` with fingerprint ``want`` when only migration text changed (see above)."""
    have = _comment(db)
    if not have or have == want:
        return False
    marked = run.psql(f"SELECT obj_description('{MARKED_TABLE}'::regclass, 'pg_class')", db)
    if marked != f"generators:{generators}":
        return False
    run.log(f"{db}: migrations changed; comparing its schema with a freshly migrated one")
    _upgrade_if_behind(db)
    try:
        _migrated_scratch()
        same = _schema(SCRATCH) == _schema(db)
        head = run.psql("SELECT version_num FROM alembic_version", SCRATCH)
    finally:
        run.psql(f"DROP DATABASE IF EXISTS {SCRATCH}")
    if not same:
        run.log(f"{db}: the schema changed: it is built again")
        return False
    run.psql(f"UPDATE alembic_version SET version_num = '{head}'", db)
    run.psql(f"COMMENT ON DATABASE {db} IS '{want}'")
    run.log(f"{db}: same schema as the migrations make today: kept ({want})")
    return True
