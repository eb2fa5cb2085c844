"""Data export: a customer asks for a copy of their data, a job builds the ZIP, they download it.

- ``request_export`` records the request and enqueues ``build_data_export`` with
  the request's id only. Asking again while one is being built, or while the last
  one can still be downloaded, gives that one (a double click builds one ZIP).
- The job gathers the data (``mall.accounts.export_contents``), seals the ZIP under
  the platform's key (AES-256-GCM, bound to the export's id, so a file copied to
  another export does not open), stores it under ``private/exports/<export id>/`` of
  ``mall.storage`` (never served as a static path; the folder names no account) and
  emails a signed link that works ``EXPORT_LINK_HOURS`` hours. The download opens it.
- The link only opens for the same account, signed in; after its hours it answers
  410 Gone, and ``delete_expired_exports`` (periodic) deletes the file.

Services flush, never commit.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from mall.accounts import jobs as account_jobs
from mall.accounts.export_contents import personal_data, to_zip
from mall.accounts.models import DataExport, ExportStatus, User
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.storage import random_key, storage
from tenants.keys import PLATFORM, CiphertextInvalid, DataKeyMissing, KeyDestroyed, key_service
from tenants.keys.cipher import FieldContext

EXPORT_SALT = "mall.accounts.data-export"
STORAGE_PREFIX = "private/exports"


class PrivacyError(ValueError):
    """A privacy request that cannot be carried out; the message says why."""


class ExportNotFound(PrivacyError):
    """The link is broken, or is another account's."""


class ExportGone(PrivacyError):
    """The link's time is over and the file is (or is about to be) deleted."""


def link_hours() -> int:
    """How many hours an export's link works (``MALL_EXPORT_LINK_HOURS``)."""
    return int(current_app.config.get("EXPORT_LINK_HOURS") or 48)


def latest_export(user: User) -> DataExport | None:
    """The account's most recent export request, or None."""
    return db.session.scalar(
        sa.select(DataExport)
        .where(DataExport.user_id == user.id)
        .order_by(DataExport.requested_at.desc(), DataExport.id.desc())
        .limit(1)
    )


def is_open(export: DataExport | None) -> bool:
    """Being built, or ready and not yet expired."""
    if export is None:
        return False
    if export.status is ExportStatus.PENDING:
        return True
    # A file made before exports were sealed cannot be handed out: a new request may start.
    sealed = (export.storage_key or "").endswith(".sealed")
    return (
        export.status is ExportStatus.READY
        and sealed
        and (export.expires_at is not None and export.expires_at > utcnow())
    )


def request_export(user: User) -> DataExport:
    """Ask for a copy of the account's data; the link is emailed when it is ready.

    An export still being built or still downloadable is returned instead of a new one.
    """
    current = latest_export(user)
    if is_open(current):
        return current
    export = DataExport(user_id=user.id)
    db.session.add(export)
    db.session.flush()
    enqueue_after_commit(account_jobs.build_data_export, export.id)
    return export


def build_export(export_id: UUID) -> DataExport | None:
    """Build and store the ZIP of a pending request, then email its link (run by the job)."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status is not ExportStatus.PENDING:
        return export  # done already (a replayed job), or the account is gone
    user = db.session.get(User, export.user_id)
    if user is None:
        return None
    now = utcnow()
    payload = to_zip(personal_data(user), created_at=now)
    key = random_key(f"{STORAGE_PREFIX}/{export.id.hex}", ".sealed")
    storage().save(key, key_service().encrypt_bytes(payload, _file_context(export)))
    export.storage_key = key
    export.size_bytes = len(payload)
    export.status = ExportStatus.READY
    export.ready_at = now
    export.expires_at = now + timedelta(hours=link_hours())
    db.session.flush()
    enqueue_after_commit(account_jobs.send_data_export_email, export.id)
    return export


def _file_context(export: DataExport) -> FieldContext:
    """Where the sealed ZIP belongs: this export, in the platform's scope."""
    return FieldContext(PLATFORM, DataExport.__tablename__, "file", str(export.id))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=EXPORT_SALT)


def export_token(export: DataExport) -> str:
    """The signed token of the emailed link (the export's id only)."""
    return _serializer().dumps({"x": str(export.id)})


def export_for_download(token: str, *, user: User) -> DataExport:
    """The ready export this link is for, if it is ``user``'s and still in time.

    Raises ExportNotFound (a broken link, another account's) or ExportGone (too old).
    """
    try:
        payload = _serializer().loads(token, max_age=link_hours() * 3600)
    except SignatureExpired:
        raise ExportGone("This download link has expired.") from None
    except BadSignature:
        raise ExportNotFound("This link is not valid.") from None
    try:
        export_id = UUID(str(payload.get("x"))) if isinstance(payload, dict) else None
    except ValueError:
        export_id = None
    export = db.session.get(DataExport, export_id) if export_id else None
    if export is None or export.user_id != user.id:
        raise ExportNotFound("This link is not valid.")
    if export.status is ExportStatus.EXPIRED or not is_open(export):
        raise ExportGone("This download link has expired.")
    if export.status is not ExportStatus.READY or not export.storage_key:
        raise ExportNotFound("This export is not ready yet.")
    return export


def export_file(export: DataExport) -> bytes:
    """The stored ZIP of a ready export, opened."""
    try:
        sealed = storage().open(export.storage_key or "")
    except (FileNotFoundError, ValueError):
        raise ExportGone("This export was deleted.") from None
    try:
        return key_service().decrypt_bytes(sealed, _file_context(export))
    except (CiphertextInvalid, DataKeyMissing, KeyDestroyed):
        # A file from before exports were sealed, altered, or sealed with a key version
        # retired since: it cannot be opened; a new export can.
        raise ExportGone("This export can no longer be opened.") from None


def export_filename(export: DataExport) -> str:
    """The name the ZIP downloads as (a date, nothing personal)."""
    stamp = (export.ready_at or export.requested_at).strftime("%Y-%m-%d")
    return f"{current_app.config['MALL_NAME'].lower()}-data-{stamp}.zip"


def delete_expired_exports() -> int:
    """Delete the files of exports whose link expired; returns how many went (periodic)."""
    expired = db.session.scalars(
        sa.select(DataExport)
        .where(DataExport.status == ExportStatus.READY, DataExport.expires_at <= utcnow())
        .limit(1000)
    ).all()
    for export in expired:
        if export.storage_key:
            storage().delete(export.storage_key)
        export.storage_key = None
        export.status = ExportStatus.EXPIRED
    db.session.flush()
    return len(expired)


def delete_exports_of(user: User) -> None:
    """Delete every export file and request of ``user`` (account deletion)."""
    for export in db.session.scalars(sa.select(DataExport).where(DataExport.user_id == user.id)):
        if export.storage_key:
            storage().delete(export.storage_key)
    db.session.execute(sa.delete(DataExport).where(DataExport.user_id == user.id))
    db.session.flush()
