"""Where cached fragments and version counters live: Redis when configured, else this process.

Both stores hold the same two things:

- **version counters** (``tree``, ``listings``, ``shop:<id>``), bumped after a
  commit that changed what a public page shows (``mall.pagecache.versions``);
- **fragments**: rendered parts of public pages, each stored with the versions
  it was rendered at, so a write never has to find and delete them: ``lookup``
  fetches a fragment and the current versions in one round trip, and one at
  old versions is rendered again. Fragments expire after ``PAGE_CACHE_TTL``
  seconds, which also bounds the memory a store can hold.

Redis (``PAGE_CACHE_URL``, by default ``MALL_REDIS_URL``) is shared by every
worker; the in-process store serves development and single-process use (a
second process would not see the first one's version bumps).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import cachetools
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "mall:page:"


class Store(Protocol):
    """What the page cache needs from a store."""

    def lookup(self, names: Sequence[str], key: str) -> tuple[list[int], bytes | None]: ...

    def bump(self, names: Iterable[str]) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...

    def values(self) -> Iterator[bytes]: ...

    def clear(self) -> None: ...


class MemoryStore:
    """This process's store: a bounded LRU of fragments with a time to live."""

    def __init__(self, *, ttl: int, max_items: int = 4096) -> None:
        self._fragments: cachetools.TTLCache[str, bytes] = cachetools.TTLCache(max_items, ttl)
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def bump(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._versions[name] = self._versions.get(name, 0) + 1

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._fragments.get(key)

    def lookup(self, names: Sequence[str], key: str) -> tuple[list[int], bytes | None]:
        with self._lock:
            return [self._versions.get(name, 0) for name in names], self._fragments.get(key)

    def put(self, key: str, value: bytes) -> None:
        with self._lock:
            self._fragments[key] = value

    def values(self) -> Iterator[bytes]:
        with self._lock:
            return iter(list(self._fragments.values()))

    def clear(self) -> None:
        with self._lock:
            self._fragments.clear()
            self._versions.clear()


class RedisStore:
    """The shared store: ``GET``/``SETEX`` fragments, ``MGET``/``INCR`` versions.

    A Redis that does not answer makes the cache step aside (pages render from
    the database) rather than fail the page; a bump that cannot be written is
    logged, and the fragments it should have retired expire with their TTL.
    """

    def __init__(self, url: str, *, ttl: int) -> None:
        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._ttl = ttl

    def lookup(self, names: Sequence[str], key: str) -> tuple[list[int], bytes | None]:
        """The versions of ``names`` and the fragment at ``key``, in one round trip."""
        keys = [PREFIX + "v:" + name for name in names]
        try:
            found = self._redis.mget([*keys, PREFIX + "f:" + key])
        except RedisError:
            log.warning("page cache: Redis did not answer; rendering without the cache")
            raise StoreUnavailable from None
        return [int(value or 0) for value in found[:-1]], found[-1]

    def bump(self, names: Iterable[str]) -> None:
        names = list(names)
        if not names:
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.incr(PREFIX + "v:" + name)
                pipe.execute()
        except RedisError:
            log.error("page cache: could not record a change (%d versions)", len(names))

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(PREFIX + "f:" + key)
        except RedisError:
            return None

    def put(self, key: str, value: bytes) -> None:
        try:
            self._redis.set(PREFIX + "f:" + key, value, ex=self._ttl)
        except RedisError:
            log.warning("page cache: could not store a fragment")

    def values(self) -> Iterator[bytes]:
        for key in self._redis.scan_iter(match=PREFIX + "*", count=500):
            value = self._redis.get(key)
            if value is not None:
                yield value

    def clear(self) -> None:
        keys = list(self._redis.scan_iter(match=PREFIX + "*", count=500))
        if keys:
            self._redis.delete(*keys)


class StoreUnavailable(RuntimeError):
    """The shared store did not answer: serve the page without the cache."""
