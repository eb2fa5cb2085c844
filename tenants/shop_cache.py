"""Which shop a public request is for, without a query: a small in-process cache.

Public pages find their shop by slug (and a custom domain its shop's slug) in
this process's memory. Three things keep it honest:

- a commit in this process that changes a shop or its domains (rename, status,
  domain) empties it at once;
- that commit also bumps a counter in Redis (``MALL_REDIS_URL``); every worker
  looks at the counter at most once per ``SHOP_CACHE_CHECK`` seconds (1) and
  empties its cache when it moved, so a shop suspended anywhere stops selling
  everywhere within about a second;
- entries live at most ``SHOP_CACHE_TTL`` seconds (60) whatever happens, which
  bounds staleness if Redis is unreachable.

The cache holds detached copies of shop rows (the contact email stays
ciphertext), which no session ever attaches: public pages only read them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import cachetools
from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.models import Tenant, TenantDomain

log = logging.getLogger(__name__)

COUNTER = "mall:shops:changed"
_CHANGED = "mall.shops_changed"  # session.info flag: a shop row was written
MAX_ENTRIES = 4096


def _clock() -> float:
    return time.monotonic()


class ShopCache:
    """Slug → a detached copy of the shop's row; host → slug. Thread-safe."""

    def __init__(self, *, ttl: float, check_every: float, redis_url: str | None) -> None:
        self._rows: cachetools.TTLCache[str, Tenant] = cachetools.TTLCache(
            MAX_ENTRIES, ttl, timer=lambda: _clock()
        )
        self._hosts: cachetools.TTLCache[str, str | None] = cachetools.TTLCache(
            MAX_ENTRIES, ttl, timer=lambda: _clock()
        )
        self._lock = threading.Lock()
        self._check_every = check_every
        self._checked_at = float("-inf")
        self._seen: bytes | None = None
        self._redis = (
            Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if redis_url
            else None
        )

    def row(self, slug: str) -> Tenant | None:
        self._follow_other_workers()
        with self._lock:
            return self._rows.get(slug)

    def remember(self, slug: str, shop: Tenant) -> None:
        with self._lock:
            self._rows[slug] = shop

    def host_slug(self, host: str, lookup: Callable[[], str | None]) -> str | None:
        self._follow_other_workers()
        with self._lock:
            if host in self._hosts:
                return self._hosts[host]
        slug = lookup()
        with self._lock:
            self._hosts[host] = slug
        return slug

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._hosts.clear()

    def announce_change(self) -> None:
        """A shop changed here: forget every shop, and tell the other workers."""
        self.clear()
        if self._redis is None:
            return
        try:
            self._seen = str(self._redis.incr(COUNTER)).encode()
        except RedisError:
            log.error("shop cache: could not tell other workers that a shop changed")

    def _follow_other_workers(self) -> None:
        if self._redis is None or _clock() - self._checked_at < self._check_every:
            return
        self._checked_at = _clock()
        try:
            seen = self._redis.get(COUNTER)
        except RedisError:
            return  # entries still expire with their TTL
        if seen != self._seen:
            self._seen = seen
            self.clear()


def init_app(app: Any) -> None:
    """Give the app its shop cache (the counter lives in ``MALL_REDIS_URL`` when set)."""
    app.extensions["mall.shop_cache"] = ShopCache(
        ttl=float(app.config.get("SHOP_CACHE_TTL", 60)),
        check_every=float(app.config.get("SHOP_CACHE_CHECK", 1)),
        redis_url=app.config.get("REDIS_URL"),
    )


def _cache() -> ShopCache | None:
    return current_app.extensions.get("mall.shop_cache") if has_app_context() else None


def cached_copy(slug: str) -> Tenant | None:
    """The cached (detached) copy of the shop with this slug, if any."""
    cache = _cache()
    return cache.row(slug) if cache is not None else None


def remember_copy(slug: str, shop: Tenant) -> None:
    """Keep a detached copy of a shop's row for the next requests."""
    cache = _cache()
    if cache is not None:
        cache.remember(slug, shop)


def cached_host_slug(host: str, lookup: Callable[[], str | None]) -> str | None:
    """The slug served at a custom ``host`` (``lookup`` asks the database on a miss)."""
    cache = _cache()
    return cache.host_slug(host, lookup) if cache is not None else lookup()


def forget_shops() -> None:
    """Empty this process's shop cache."""
    cache = _cache()
    if cache is not None:
        cache.clear()


@event.listens_for(Session, "after_flush")
def _note_shop_changes(session: Session, flush_context: object) -> None:
    rows = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, Tenant | TenantDomain) for row in rows):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_shop_changes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    writes = state.is_update or state.is_delete
    if writes and mapper is not None and mapper.class_ in (Tenant, TenantDomain):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _announce_changed_shops(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        cache = _cache()
        if cache is not None:
            cache.announce_change()


@event.listens_for(Session, "after_rollback")
def _keep_shops(session: Session) -> None:
    session.info.pop(_CHANGED, None)
