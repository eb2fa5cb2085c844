"""The referral cookie as the checkout keeps it: affiliate codes and click times, nothing else.

The affiliate program (a later, higher layer) writes the cookie with ``dump``;
the checkout reads it with ``load`` and stores the result on the checkout, so a
sale can be attributed later without the browser. The cookie is signed; a
tampered, oversized or malformed one reads as no referral.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "mall_ref"
MAX_ENTRIES = 10
MAX_COOKIE = 2048
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mall.referral")


def dump(entries: list[dict[str, Any]]) -> str:
    """The cookie value for ``[{"code": "ABC", "at": <unix seconds>}, …]`` (newest last)."""
    return _serializer().dumps(_clean(entries)[-MAX_ENTRIES:])


def load(value: str | None) -> list[dict[str, Any]]:
    """The entries of a cookie value; ``[]`` for anything unsigned, malformed or too big."""
    if not value or len(value) > MAX_COOKIE:
        return []
    try:
        raw = _serializer().loads(value)
    except BadSignature:
        return []
    return _clean(raw)[-MAX_ENTRIES:] if isinstance(raw, list) else []


def _clean(entries: Any) -> list[dict[str, Any]]:
    kept = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        code, at = entry.get("code"), entry.get("at")
        if isinstance(code, str) and _CODE.match(code) and isinstance(at, int) and at > 0:
            kept.append({"code": code, "at": at})
    return kept
