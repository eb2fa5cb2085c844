"""Absolute links for emails and jobs, always on the mall's public address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on ``MALL_PUBLIC_URL``.

    Works outside requests (jobs), and inside a request on a shop's custom
    domain it still links to the mall, where accounts live.
    """
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, url_scheme=public.scheme, script_name=public.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)
