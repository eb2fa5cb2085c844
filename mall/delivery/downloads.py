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

Range requests (resuming a download) are answered 206 (the web server does it
under ``DOWNLOAD_ACCEL``). The counting rule: a request for the file from its
first byte counts one download (an interrupted one too: the server cannot tell
how much arrived); a range that starts later resumes it and does not count
again, even at the limit, while a download of that file through that grant was
counted in the last ``RESUME_HOURS`` hours; later than that it counts as a new
download, so a resume never becomes a way around the limit.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import Request, Response, current_app
from sqlalchemy.exc import IntegrityError

from mall.catalog.models import DigitalFile
from mall.db import utcnow
from mall.delivery.errors import DeliveryError
from mall.delivery.models import DownloadCounter, DownloadEvent, DownloadGrant, GrantStatus
from mall.extensions import db
from mall.storage import LocalStorage, storage

ACCEL_MODES = ("", "x-accel-redirect", "x-sendfile")
RESUME_HOURS = 24  # a range past byte 0 resumes, uncounted, a download counted this recently


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


def check_download(grant: DownloadGrant, file: DigitalFile, *, limit: bool = True) -> None:
    """Refuse what ``take_download`` would refuse, counting nothing (a HEAD request; a
    resumed download with ``limit=False``: it was counted when it started)."""
    state = grant_state(grant)
    if state != "active":
        raise DownloadRefused(state)
    if limit and grant.download_limit:
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


def first_byte(response: Response, request: Request, size: int) -> int:
    """Where the bytes ``response`` sends start (0: the whole file, or a range from its start).

    A streamed response knows (206 and its Content-Range); one handed to the web
    server is read from the request's ``Range`` header, as the server will serve it.
    """
    if response.status_code == 206 and response.content_range is not None:
        return response.content_range.start or 0
    handed_off = "X-Accel-Redirect" in response.headers or "X-Sendfile" in response.headers
    if not handed_off or request.range is None:
        return 0
    if "If-Range" in request.headers:
        return 0  # the web server decides; counting the download is the safe side
    span = request.range.range_for_length(size)
    return span[0] if span is not None else 0


def counted_recently(grant: DownloadGrant, file: DigitalFile) -> bool:
    """True when a download of ``file`` through ``grant`` was counted in the last
    ``RESUME_HOURS`` hours (a range past byte 0 then resumes it, uncounted)."""
    since = utcnow() - timedelta(hours=RESUME_HOURS)
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    DownloadEvent.grant_id == grant.id,
                    DownloadEvent.file_id == file.id,
                    DownloadEvent.created_at >= since,
                )
            )
        )
    )


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


def file_response(
    file: DigitalFile, *, head: bool = False, request: Request | None = None
) -> Response:
    """The file as an attachment: streamed, or handed to the web server by header.

    Made before the download is counted: FileNotFoundError when the storage
    has no such file. ``head``: the headers only (a HEAD request reads nothing).
    With ``request`` a streamed file answers its ``Range`` (206; 416 raised when
    it cannot be satisfied); the web server answers it under ``DOWNLOAD_ACCEL``.
    """
    mode = (current_app.config.get("DOWNLOAD_ACCEL") or "").lower()
    headers = {
        "Content-Disposition": _disposition(file.filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if file.sha256:  # lets a resuming client check (If-Range) that the file is the same
        headers["ETag"] = f'"{file.sha256}"'

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
    response = Response(data, mimetype=file.content_type, headers=headers)
    if request is not None:
        response.make_conditional(request, accept_ranges=True, complete_length=len(data))
    return response


def _disposition(filename: str) -> str:
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    simple = "".join(c for c in simple if c.isprintable() and c not in '"\\') or "download"
    value = f'attachment; filename="{simple}"'
    if simple != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value
