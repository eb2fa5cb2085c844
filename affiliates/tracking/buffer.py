"""Clicks queued in Redis, so a link answers without a database write on its request.

With Redis configured (``MALL_REDIS_URL``), a click is one ``RPUSH`` of a small JSON entry
(ids, times, the landing path, the referrer's host, the IP address's blind index and the
agent class: never an address or anything typed) onto ``QUEUE``; the job
``affiliates.tracking.jobs.flush_clicks`` (every minute, and before each rollup) moves
them into ``affiliate_clicks``. Without Redis (the embedded defaults), clicks are
inserted on the request as before (``clicks.record_click``).

Draining is safe to repeat and to run twice at once: one drainer holds ``LOCK`` (a token
with a lifetime); it reads the queue's head, inserts it (each entry carries the click's
id: a replayed entry changes nothing), commits, and only then removes exactly what it
read, and only while its token still holds the lock (a Lua script), so a drainer that lost
its lock never drops entries another has not inserted.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from mall.jobs import redis_connection

log = logging.getLogger(__name__)

QUEUE = "mall:affiliates:clicks"
LOCK = "mall:affiliates:clicks:lock"
# Code -> affiliate id of approved affiliates seen by any process: a code is given once
# and never changes hands, so an entry never names the wrong affiliate; whether the
# affiliate is still approved is checked when a click is stored and when a sale is made.
CODES = "mall:affiliates:codes"
LOCK_SECONDS = 120
EXTENSION = "affiliates.click_buffer"

# Remove the first ``count`` entries only while ``token`` still holds the lock.
_TRIM_IF_HELD = """
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
  return 1
end
return 0
"""
_RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class ClickBuffer:
    """The queue of clicks not yet in the database (one Redis list)."""

    def __init__(self, connection: Any) -> None:
        self.redis = connection
        self._trim = connection.register_script(_TRIM_IF_HELD)
        self._release = connection.register_script(_RELEASE_IF_HELD)

    def push(self, entry: dict[str, Any]) -> None:
        """Queue one click (raises ``redis.RedisError`` when Redis does not answer)."""
        self.redis.rpush(QUEUE, json.dumps(entry, separators=(",", ":")))

    def affiliate_of(self, code: str) -> str | None:
        """The affiliate id (hex) ``remember_code`` kept for ``code``, if any."""
        found = self.redis.hget(CODES, code)
        return found.decode() if found else None

    def all_codes(self, *, limit: int) -> dict[str, str] | None:
        """Every code kept (code -> affiliate id hex), or None when there are over ``limit``."""
        if self.redis.hlen(CODES) > limit:
            return None
        return {
            code.decode(): affiliate.decode()
            for code, affiliate in self.redis.hgetall(CODES).items()
        }

    def remember_code(self, code: str, affiliate_id: str) -> None:
        """Keep which affiliate a code is (a code never changes hands)."""
        self.redis.hset(CODES, code, affiliate_id)

    def size(self) -> int:
        return int(self.redis.llen(QUEUE))

    @contextmanager
    def drained(self) -> Iterator[str | None]:
        """Hold the drain lock for the block: its token, or None when another drainer has it."""
        token = secrets.token_hex(16)
        if not self.redis.set(LOCK, token, nx=True, ex=LOCK_SECONDS):
            yield None
            return
        try:
            yield token
        finally:
            self._release(keys=[LOCK], args=[token])

    def head(self, count: int) -> list[dict[str, Any]]:
        """The oldest ``count`` entries, left in the queue (an unreadable one is skipped)."""
        entries = []
        for raw in self.redis.lrange(QUEUE, 0, count - 1):
            try:
                entries.append(json.loads(raw))
            except ValueError:
                log.warning("an unreadable click entry was dropped from the queue")
                entries.append({})
        return entries

    def drop(self, count: int, *, token: str) -> bool:
        """Remove the ``count`` entries read with ``head``; False when the lock was lost."""
        return bool(self._trim(keys=[QUEUE, LOCK], args=[token, count]))


def click_buffer(app: Flask) -> ClickBuffer | None:
    """The app's click queue, or None without Redis (clicks are then written directly)."""
    buffer = app.extensions.get(EXTENSION)
    if buffer is None and app.config.get("REDIS_URL"):
        buffer = app.extensions[EXTENSION] = ClickBuffer(redis_connection(app))
    return buffer
