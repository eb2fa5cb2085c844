"""Static files at fingerprinted URLs, kept a year; the file at an old URL is revalidated."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.mall.test_storefront import body

CSS = Path(__file__).resolve().parents[2] / "mall/static/css/mall.css"


def css_url(client) -> str:
    found = re.search(r'href="(/static/v/[0-9a-f]{12}/css/mall\.css)"', body(client.get("/")))
    assert found, "the layout links the stylesheet by its fingerprint"
    return found.group(1)


def test_pages_link_assets_by_their_content(client):
    digest = hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]
    assert css_url(client) == f"/static/v/{digest}/css/mall.css"


def test_a_fingerprinted_asset_is_kept_for_a_year(client):
    with client.get(css_url(client)) as response:
        assert response.status_code == 200
        assert response.get_data() == CSS.read_bytes()
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_old_fingerprint_gets_the_file_but_no_long_cache(client):
    with client.get("/static/v/000000000000/css/mall.css") as response:
        assert response.status_code == 200 and response.get_data() == CSS.read_bytes()
        assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/static/v/abc/../../config/__init__.py",
        "/static/v/abc/%2e%2e/wsgi.py",
        "/static/v/abc/nope.css",
    ],
)
def test_nothing_outside_the_static_folder_is_served(client, path):
    assert client.get(path).status_code == 404
