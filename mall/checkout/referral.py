"""The referral cookie as the checkout keeps it: affiliate ids and click times, nothing else.

The affiliate program (a later, higher layer) writes the cookie with ``add_click`` and
``dump``; the checkout reads it with ``load`` and stores the result on the checkout, so
a sale can be attributed later without the browser. One entry per affiliate,
``{"a": "<affiliate id, hex>", "first": <unix seconds>, "at": <unix seconds>}``: the
first and the latest click of that affiliate the browser still holds, newest entry
last, at most ``MAX_ENTRIES`` and ``MAX_COOKIE`` bytes. The cookie is signed; a
tampered, oversized, malformed or old-format one reads as no referral.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "mall_ref"
MAX_ENTRIES = 10
MAX_COOKIE = 2048
_ID = re.compile(r"^[0-9a-f]{32}$")
SERIALIZER_KEY = "mall.referral.serializer"


def _serializer() -> URLSafeSerializer:
    # Made once per app and key (a short link's every answer signs one).
    key = current_app.config["SECRET_KEY"]
    made = current_app.extensions.get(SERIALIZER_KEY)
    if made is None or made[0] != key:
        # A new salt for the id format: a cookie of the old (codes) format fails its signature.
        made = current_app.extensions[SERIALIZER_KEY] = (
            key,
            URLSafeSerializer(key, salt="mall.referral.ids"),
        )
    return made[1]


def add_click(
    entries: list[dict[str, Any]], affiliate: str, at: int, *, lifetime: int | None = None
) -> list[dict[str, Any]]:
    """``entries`` with a click of ``affiliate`` (id hex) at ``at`` moved to the end.

    The affiliate's first click time is kept, unless its last click is older than
    ``lifetime`` seconds (that referral had expired: this click starts a new one).
    """
    kept = [entry for entry in _clean(entries) if entry["a"] != affiliate]
    previous = next((entry for entry in _clean(entries) if entry["a"] == affiliate), None)
    first = at
    if previous is not None and (lifetime is None or at - previous["at"] <= lifetime):
        first = min(previous["first"], at)
    return [*kept, {"a": affiliate, "first": first, "at": at}][-MAX_ENTRIES:]


def dump(entries: list[dict[str, Any]]) -> str:
    """The signed cookie value for ``entries`` (newest last); the oldest are dropped until
    there are at most ``MAX_ENTRIES`` and the value fits in ``MAX_COOKIE`` bytes."""
    kept = _clean(entries)[-MAX_ENTRIES:]
    value = _serializer().dumps(kept)
    while len(value) > MAX_COOKIE and kept:
        kept = kept[1:]
        value = _serializer().dumps(kept)
    return value


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
    """Well-formed entries only, one per affiliate (its latest), in their order."""
    kept: dict[str, dict[str, Any]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        affiliate, first, at = entry.get("a"), entry.get("first"), entry.get("at")
        if not (isinstance(affiliate, str) and _ID.match(affiliate) and _time(at)):
            continue
        first = first if _time(first) and first <= at else at
        kept.pop(affiliate, None)
        kept[affiliate] = {"a": affiliate, "first": first, "at": at}
    return list(kept.values())


def _time(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
