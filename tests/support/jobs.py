"""Jobs used by the tests: they record where and how they ran."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import job
from tenants.context import current_tenant_id
from tenants.guard import scoped_get
from tests.support.models import Shelf

RUNS: list[tuple[UUID | None, tuple]] = []


@job()
def note_run(*ids: str) -> None:
    """Record the shop in context and the arguments."""
    RUNS.append((current_tenant_id(), ids))


@job()
def rename_shelf(shelf_id: str, name: str) -> None:
    """Write in the shop's context; the wrapper commits."""
    shelf = scoped_get(Shelf, shelf_id)
    shelf.name = name
    RUNS.append((current_tenant_id(), (shelf_id, name)))


@job(retries=0)
def explode(shelf_id: str) -> None:
    """Change something, then fail: nothing may stick."""
    scoped_get(Shelf, shelf_id).name = "half-done"
    db.session.flush()
    raise RuntimeError("boom")


@job()
def count_shelves() -> None:
    RUNS.append((current_tenant_id(), (db.session.scalar(sa.select(sa.func.count(Shelf.id))),)))
