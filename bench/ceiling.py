"""The ceiling: a minimal Flask app returning one recorded response for any path.

Served by ``bench.run`` under the same gunicorn settings as Mall, it measures what the
server, the network stack and ``wrk`` can do with no application work at all: the bytes
come from memory. ``BENCH_CEILING_BODY`` names the file holding the body,
``BENCH_CEILING_STATUS`` and ``BENCH_CEILING_TYPE`` the status and content type.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

BODY = Path(os.environ.get("BENCH_CEILING_BODY", "/dev/null")).read_bytes()
STATUS = int(os.environ.get("BENCH_CEILING_STATUS", "200"))
CONTENT_TYPE = os.environ.get("BENCH_CEILING_TYPE", "text/html; charset=utf-8")

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def anything(path: str) -> Response:
    """The recorded bytes, whatever was asked."""
    return Response(BODY, status=STATUS, content_type=CONTENT_TYPE)
