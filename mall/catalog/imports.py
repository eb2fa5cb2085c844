"""CSV imports run by a job: the upload is stored, then validated and applied in the background.

``start_import`` stores the file and enqueues ``jobs.run_import``, which calls
``process_import``.

The job checks every row first, committing its progress every ``PROGRESS_EVERY``
rows (each a short transaction of its own, so the import page can show it),
then applies the whole file in one final transaction. A file with any problem
imports nothing: the import fails with its errors. Re-running a finished
import does nothing.
"""

from __future__ import annotations

import logging
from pathlib import PurePath
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.catalog import csv_io, jobs
from mall.catalog.errors import CatalogError
from mall.catalog.models import CatalogImport, ImportStatus
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.storage import random_key, storage
from tenants.context import current_tenant_id
from tenants.guard import scoped_get

log = logging.getLogger(__name__)

PROGRESS_EVERY = 200
# An import's page lists at most this many problems; the rest are counted.
MAX_STORED_ERRORS = 500
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED)


def start_import(filename: str, data: bytes, *, user_id: UUID | None) -> CatalogImport:
    """Store the upload and queue its import (the job runs once the caller commits)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("start_import runs in a shop's context")
    key = random_key(f"imports/{tenant_id}", ".csv")
    storage().save(key, data)
    record = CatalogImport(
        storage_key=key,
        filename=PurePath(filename.replace("\\", "/")).name[:255] or "catalog.csv",
        created_by_id=user_id,
    )
    db.session.add(record)
    db.session.flush()
    enqueue_after_commit(jobs.run_import, record.id)
    return record


def get_import(import_id: UUID | str) -> CatalogImport | None:
    """An import of the shop in context, or None."""
    return scoped_get(CatalogImport, import_id)


def recent_imports(limit: int = 10) -> list[CatalogImport]:
    """The shop's latest imports, newest first."""
    query = sa.select(CatalogImport).order_by(CatalogImport.created_at.desc()).limit(limit)
    return list(db.session.scalars(query))


def percent_done(record: CatalogImport) -> int:
    """How far the check has got, 0 to 100 (a failed import's rows checked, maybe none)."""
    if record.status is ImportStatus.DONE:
        return 100
    if not record.total_rows:
        return 0
    return min(100, record.processed_rows * 100 // record.total_rows)


def stored_errors(errors: list[csv_io.RowError]) -> list[dict[str, object]]:
    """Errors as kept on the import (the first MAX_STORED_ERRORS, then a count)."""
    kept = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    if len(errors) > MAX_STORED_ERRORS:
        more = len(errors) - MAX_STORED_ERRORS
        kept.append({"row": None, "column": "", "message": f"… and {more} more problem(s)."})
    return kept


def process_import(record: CatalogImport) -> None:
    """Validate the stored file (committing progress), then apply it all or nothing.

    Run by the job ``jobs.run_import``; an import already finished is left alone.
    """
    if record.status in FINISHED:
        return
    import_id = record.id
    try:
        data = storage().open(record.storage_key)
    except FileNotFoundError:
        _fail(record, [{"row": None, "column": "", "message": "The uploaded file is missing."}])
        return
    parsed = csv_io.parse_csv(data)
    record.status = ImportStatus.RUNNING
    record.total_rows = parsed.total_rows
    record.processed_rows = 0
    db.session.commit()

    saved = 0

    def progress(done: int) -> None:
        nonlocal saved
        if done - saved >= PROGRESS_EVERY:
            save_progress(record, done)
            saved = done

    errors = csv_io.validate(parsed, on_progress=progress)
    record.processed_rows = parsed.checked_rows  # the truth, failed or not (none if unreadable)
    if errors:
        _fail(record, stored_errors(errors))
        return
    try:
        result = csv_io.apply(parsed, actor_id=record.created_by_id, note=_note(record))
    except (csv_io.InvalidImport, CatalogError, IntegrityError):
        # The catalog changed between the check and the writes (another import, an edit).
        db.session.rollback()
        log.info("catalog import %s collided with a concurrent change", import_id)
        message = "The catalog changed while this file was imported. Upload it again."
        problem = [{"row": None, "column": "", "message": message}]
        _fail(get_import(import_id), problem, checked=parsed.checked_rows)
        return
    except Exception:
        db.session.rollback()
        message = "An unexpected error stopped the import; nothing was imported."
        problem = [{"row": None, "column": "", "message": message}]
        _fail(get_import(import_id), problem, checked=parsed.checked_rows)
        db.session.commit()
        raise
    record.status = ImportStatus.DONE
    record.processed_rows = record.total_rows
    record.created_products = result.created
    record.updated_products = result.updated


def save_progress(record: CatalogImport, done: int) -> None:
    """Record how many rows are checked, in its own commit."""
    record.processed_rows = done
    db.session.commit()


def _fail(
    record: CatalogImport | None, errors: list[dict[str, object]], *, checked: int | None = None
) -> None:
    if record is not None:
        record.status = ImportStatus.FAILED
        record.errors = errors
        if checked is not None:  # after a rollback: the rows were checked all the same
            record.processed_rows = checked


def _note(record: CatalogImport) -> str:
    return f"CSV import {record.filename}"[:200]
