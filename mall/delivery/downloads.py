"""One download: checked, counted once, logged (IP sealed), then the file served.

The response is made first: a file missing from storage counts nothing (the
view answers 503 and logs an error). A HEAD request is checked
(``check_download``) but neither counted nor logged, and reads no file.
``take_download`` refuses a revoked grant, an expired one and a file whose
limit is reached, each with its own reason (the pages differ: 403 withdrawn,
410 expired, 403 limit reached). The count goes up by one conditional UPDATE
(``used < limit``), so two requests at the same moment never pass the limit.
``file_response`` streams the file from storage, or hands it to the web
server (``DOWNLOAD_ACCEL``: ``x-accel-redirect`` for nginx under
``DOWNLOAD_ACCEL_PREFIX``, ``x-sendfile`` for Apache/lighttpd) so that a worker
is not held while a large file goes out. Files live under the storage root,
never under a public path.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, current_app
from sqlalchemy.exc import IntegrityError

from mall.catalog.models import DigitalFile
from mall.db import utcnow
from mall.delivery.errors import DeliveryError
from mall.delivery.models import DownloadCounter, DownloadEvent, DownloadGrant, GrantStatus
from mall.extensions import db
from mall.storage import LocalStorage, storage

ACCEL_MODES = ("", "x-accel-redirect", "x-sendfile")


class DownloadRefused(DeliveryError):
    """A download that may not happen: ``reason`` is revoked, expired or limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def grant_state(grant: DownloadGrant) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if grant.status is GrantStatus.REVOKED:
        return "revoked"
    if grant.expires_at is not None and grant.expires_at <= utcnow():
        return "expired"
    return "active"


def check_download(grant: DownloadGrant, file: DigitalFile) -> None:
    """Refuse what ``take_download`` would refuse, counting nothing (a HEAD request)."""
    state = grant_state(grant)
    if state != "active":
        raise DownloadRefused(state)
    if grant.download_limit:
        used = db.session.scalar(
            sa.select(DownloadCounter.used).where(
                DownloadCounter.grant_id == grant.id, DownloadCounter.file_id == file.id
            )
        )
        if (used or 0) >= grant.download_limit:
            raise DownloadRefused("limit")


def take_download(grant: DownloadGrant, file: DigitalFile, *, ip: str | None) -> int:
    """Count one download of ``file`` through ``grant`` and log it; the downloads used now.

    Raises DownloadRefused (revoked, expired, limit).
    """
    state = grant_state(grant)
    if state != "active":
        raise DownloadRefused(state)
    _ensure_counter(grant, file)
    where = [
        DownloadCounter.tenant_id == grant.tenant_id,
        DownloadCounter.grant_id == grant.id,
        DownloadCounter.file_id == file.id,
    ]
    if grant.download_limit:
        where.append(DownloadCounter.used < grant.download_limit)
    counted = db.session.execute(
        sa.update(DownloadCounter)
        .where(*where)
        .values(used=DownloadCounter.used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted != 1:
        raise DownloadRefused("limit")
    event = DownloadEvent(tenant_id=grant.tenant_id, grant_id=grant.id, file_id=file.id)
    event.ip_address = ip
    db.session.add(event)
    db.session.flush()
    return db.session.scalar(sa.select(DownloadCounter.used).where(*where[:3])) or 0


def _ensure_counter(grant: DownloadGrant, file: DigitalFile) -> None:
    exists = db.session.scalar(
        sa.select(DownloadCounter.id).where(
            DownloadCounter.grant_id == grant.id, DownloadCounter.file_id == file.id
        )
    )
    if exists is not None:
        return
    try:  # a file added after the sale: its counter is made by the first download
        with db.session.begin_nested():
            db.session.add(
                DownloadCounter(tenant_id=grant.tenant_id, grant_id=grant.id, file_id=file.id)
            )
    except IntegrityError:
        pass  # another request made it at the same moment: count on it


def file_response(file: DigitalFile, *, head: bool = False) -> Response:
    """The file as an attachment: streamed, or handed to the web server by header.

    Made before the download is counted: FileNotFoundError when the storage
    has no such file. ``head``: the headers only (a HEAD request reads nothing).
    """
    mode = (current_app.config.get("DOWNLOAD_ACCEL") or "").lower()
    headers = {
        "Content-Disposition": _disposition(file.filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    root = storage()
    local = Path(root.root) / file.storage_key if isinstance(root, LocalStorage) else None
    if (head or mode) and local is not None and not local.is_file():
        raise FileNotFoundError(file.storage_key)
    if head:
        response = Response(b"", mimetype=file.content_type, headers=headers)
        response.headers["Content-Length"] = str(file.size_bytes)
        return response
    if mode == "x-accel-redirect":
        prefix = (current_app.config.get("DOWNLOAD_ACCEL_PREFIX") or "/protected-files").rstrip("/")
        headers["X-Accel-Redirect"] = f"{prefix}/{file.storage_key}"
        return Response(b"", mimetype=file.content_type, headers=headers)
    if mode == "x-sendfile" and local is not None:
        headers["X-Sendfile"] = str(local)
        return Response(b"", mimetype=file.content_type, headers=headers)
    data = root.open(file.storage_key)
    headers["Content-Length"] = str(len(data))
    return Response(data, mimetype=file.content_type, headers=headers)


def _disposition(filename: str) -> str:
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    simple = "".join(c for c in simple if c.isprintable() and c not in '"\\') or "download"
    value = f'attachment; filename="{simple}"'
    if simple != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value
