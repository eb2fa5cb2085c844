"""Where a short link may lead: the mall's own hosts only (no open redirect).

``/r/<code>?to=…`` accepts a path on the current host (``/shop/x/products/y``) or an
absolute ``http(s)`` URL on the mall's base host, a shop's subdomain
(``<slug>.<MALL_BASE_DOMAIN>``) or a custom domain mapped to a shop. Anything else
(another host, ``//host``, ``/\\host``, credentials in the URL, control characters or
spaces, which browsers strip or reinterpret) leads to the mall's home page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request

from mall.extensions import db
from tenants.resolution import ShopHostMiddleware, is_host_name, shop_for_host

HOME = "/"
MAX_TARGET = 2000
# Control characters, spaces, backslashes (also percent-encoded, and an encoded second
# slash): browsers strip or reinterpret them, and a proxy that decodes them should not
# find a host there either.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]|%5c|^/%2f", re.IGNORECASE)
_SHOP_PATH = re.compile(r"^/shop/([a-z0-9-]{1,63})(?:/|$)")


@dataclass(frozen=True)
class Target:
    """A safe place to send the visitor, with what the click record keeps of it."""

    location: str  # what goes into the Location header
    path: str  # the page's path as the mall routes it (``/shop/<slug>/…``), no query
    shop_slug: str | None  # the shop the page belongs to, if any


def safe_target(to: str | None) -> Target:
    """The target of ``to`` when it stays on the mall's own hosts, else the home page."""
    to = (to or "").strip()
    if not to or len(to) > MAX_TARGET or _UNSAFE.search(to):
        return _home()
    try:
        parts = urlsplit(to)
        parts.port  # noqa: B018 - an invalid port raises here
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return _home()
    if not parts.scheme and not parts.netloc:
        if not to.startswith("/") or to.startswith("//"):
            return _home()
        # A path: on the host the link was followed on (the mall's, or a shop's).
        return _target(to, parts.path, request.environ.get("mall.host_shop"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _home()
    if parts.username is not None or parts.password is not None:
        return _home()
    host = (parts.hostname or "").rstrip(".")
    if not is_host_name(host):
        return _home()
    if host in _mall_hosts():
        return _target(to, parts.path or "/", None)
    try:
        slug = shop_for_host(host, current_app.config.get("BASE_DOMAIN"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()  # the click is recorded in a fresh transaction
        return _home()
    if slug is None:
        return _home()
    return _target(to, parts.path or "/", slug)


def _mall_hosts() -> set[str]:
    """The names the mall itself answers on (its base domain, ``www.``, its public URL)."""
    config = current_app.config
    hosts: set[str] = set()
    base = config.get("BASE_DOMAIN")
    if base:
        hosts |= {base, f"www.{base}"}
    public = urlsplit(config.get("PUBLIC_URL") or "").hostname
    if public:
        hosts.add(public)
    return hosts


def _home() -> Target:
    return Target(HOME, HOME, None)


def _target(location: str, path: str, host_slug: str | None) -> Target:
    """``path`` as the mall routes it: a shop host's own pages live under ``/shop/<slug>``."""
    if host_slug is not None:
        adapter = current_app.url_map.bind("localhost")
        if ShopHostMiddleware.belongs_to_shop(adapter, "GET", path):
            return Target(location, f"/shop/{host_slug}{path}", host_slug)
        return Target(location, path, None)
    found = _SHOP_PATH.match(path.lower())
    return Target(location, path, found.group(1) if found else None)
