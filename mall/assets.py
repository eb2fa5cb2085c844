"""Static files at URLs that name their content: ``/static/v/<digest>/css/mall.css``.

``url_for("static", filename=…)`` builds the fingerprinted URL (the first 12
hex digits of the file's SHA-256); a response to it may be kept for a year
(``immutable``): a new version of the file has a new URL. A URL with a digest
that is not the file's (a page rendered before a deploy) still gets the file,
but with ``no-cache``, so nothing stale is kept under the wrong name. The plain
``/static/<filename>`` keeps working (revalidated).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, send_from_directory

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"

_lock = threading.Lock()
_digests: dict[str, tuple[float, str]] = {}


def file_digest(folder: str, filename: str, *, recheck: bool = True) -> str | None:
    """The fingerprint of a static file, None if missing.

    ``recheck``: compare the file's mtime each time (development edits files in
    place); a deployed app's files do not change while it runs.
    """
    if not recheck:
        with _lock:
            known = _digests.get(f"{folder}/{filename}")
        if known is not None:
            return known[1]
    path = Path(folder, filename)
    try:
        mtime = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    with _lock:
        known = _digests.get(str(path))
    if known and known[0] == mtime:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _digests[str(path)] = _digests[f"{folder}/{filename}"] = (mtime, digest)
    return digest


def init_app(app: Flask) -> None:
    """Serve ``/static/v/<digest>/<path>`` and make ``url_for("static")`` build it."""
    folder = app.static_folder
    if folder is None:
        return
    build = app.url_for
    recheck = bool(app.debug)

    def url_for(endpoint: str, **values: Any) -> str:
        if endpoint == "static" and "filename" in values and _is_plain(values["filename"]):
            digest = file_digest(folder, values["filename"], recheck=recheck)
            if digest is not None:
                return build("static_versioned", digest=digest, **values)
        return build(endpoint, **values)

    def versioned(digest: str, filename: str) -> Response:
        current = file_digest(folder, filename) if _is_plain(filename) else None
        if current is None:
            abort(404)
        response = send_from_directory(folder, filename, max_age=0)
        if digest == current:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response

    app.add_url_rule(
        f"{app.static_url_path}/v/<digest>/<path:filename>",
        endpoint="static_versioned",
        view_func=versioned,
    )
    app.url_for = url_for  # type: ignore[method-assign]
    app.jinja_env.globals["url_for"] = url_for


def _is_plain(filename: str) -> bool:
    """A relative path inside the static folder (no ``..``, not absolute, no NUL)."""
    return (
        "\x00" not in filename and not os.path.isabs(filename) and ".." not in Path(filename).parts
    )
