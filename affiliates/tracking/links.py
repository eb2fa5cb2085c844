"""Where a short link may lead: the mall's own origins only (no open redirect), and the one
canonical form of a landing page's path.

``/r/<code>?to=…`` accepts a path on the current host (``/shop/x/products/y``) or an
absolute ``http(s)`` URL on the public URL's scheme and port (``MALL_PUBLIC_URL``) whose
host is the mall's base host, a shop's subdomain (``<slug>.<MALL_BASE_DOMAIN>``) or a
custom domain mapped to a shop. Anything else (another host or port, ``//host``,
``/\\host``, credentials in the URL, control characters or spaces, which browsers strip or
reinterpret, an encoded slash in the path) leads to the mall's home page.

The path of the target is normalised (``normal_path``) before it goes into the Location
header and the click record, so both say the same page and neither keeps ``/../`` tricks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app

from mall.extensions import db
from tenants.resolution import ShopHostMiddleware, is_host_name, shop_for_host

HOME = "/"
MAX_TARGET = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}
# Control characters, spaces, backslashes (also percent-encoded, and an encoded second
# slash): browsers strip or reinterpret them, and a proxy that decodes them should not
# find a host there either. (A raw C0 character never gets here: ``mall.security``
# answers 400 to any request that has one.)
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]|%5c|%[01][0-9a-f]|%7f|^/%2f", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHOP_PATH = re.compile(r"^/shop/([a-z0-9-]{1,63})(?:/|$)")
# Dot segments as a browser reads them (RFC 3986 and the WHATWG URL standard): percent-
# encoded dots count too, so ``/%2e%2e/`` climbs like ``/../``.
_DOT = {".", "%2e"}
_DOT_DOT = {"..", ".%2e", "%2e.", "%2e%2e"}


@dataclass(frozen=True)
class Target:
    """A safe place to send the visitor, with what the click record keeps of it."""

    location: str  # what goes into the Location header
    path: str  # the page's path as the mall routes it (``/shop/<slug>/…``), no query
    shop_slug: str | None  # the shop the page belongs to, if any
    refused: bool = False  # ``to`` was not one of the mall's pages: the home page instead


def normal_path(path: str) -> str:
    """``path`` in one canonical form: one leading slash, no empty, ``.`` or ``..`` segments
    (resolved as a browser would, percent-encoded dots included), no control characters;
    a trailing slash is kept when the path ends in one (or in a dot segment), as browsers
    resolve ``/a/b/..`` to ``/a/``."""
    raw = _CONTROL.sub("", path or "").split("/")
    kept: list[str] = []
    for segment in raw:
        lowered = segment.lower()
        if lowered in _DOT_DOT:
            if kept:
                kept.pop()
        elif segment and lowered not in _DOT:
            kept.append(segment)
    last = raw[-1].lower()
    trailing = len(raw) > 1 and (not last or last in _DOT or last in _DOT_DOT)
    return "/" + "/".join(kept) + ("/" if kept and trailing else "")


def safe_target(to: str | None, *, host_shop: str | None = None) -> Target:
    """The target of ``to`` when it stays on the mall's own origins, else the home page;
    ``host_shop`` is the shop whose host the link was followed on (None: the mall's)."""
    to = (to or "").strip()
    if not to:
        return Target(HOME, HOME, None)
    if len(to) > MAX_TARGET or _UNSAFE.search(to):
        return _refused()
    try:
        parts = urlsplit(to)
        port = parts.port  # an invalid port raises here
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return _refused()
    path = normal_path(parts.path)
    if "%2f" in path.lower():  # a slash a decoding proxy would see (no page has one)
        return _refused()
    if not parts.scheme and not parts.netloc:
        if not to.startswith("/") or to.startswith("//"):
            return _refused()
        # A path: on the host the link was followed on (the mall's, or a shop's).
        return _target(parts, path, host_shop)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return _refused()
    if parts.username is not None or parts.password is not None:
        return _refused()
    if (parts.scheme, DEFAULT_PORTS[parts.scheme] if port is None else port) != _public_origin():
        return _refused()  # another port of a mall host may be anybody's service
    host = (parts.hostname or "").rstrip(".")
    if not is_host_name(host):
        return _refused()
    if host in mall_hosts():
        return _target(parts, path, None)
    try:
        slug = shop_for_host(host, current_app.config.get("BASE_DOMAIN"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()  # the click is recorded in a fresh transaction
        return _refused()
    if slug is None:
        return _refused()
    return _target(parts, path, slug)


def _public_origin() -> tuple[str, int]:
    """The scheme and port the mall and its shops answer on (``MALL_PUBLIC_URL``'s)."""
    public = urlsplit(current_app.config.get("PUBLIC_URL") or "")
    scheme = public.scheme if public.scheme in DEFAULT_PORTS else "https"
    return scheme, public.port or DEFAULT_PORTS[scheme]


def mall_hosts() -> set[str]:
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


def _without_ref(query: str) -> str:
    """The target's query without ``ref``: the link's own affiliate is the one it records
    (an older ``ref`` pasted along would credit another affiliate, or count a visit twice)."""
    if "ref" not in query.lower():
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, value) for name, value in pairs if name.lower() != "ref"])


def _refused() -> Target:
    return Target(HOME, HOME, None, refused=True)


def _target(parts: SplitResult, path: str, host_slug: str | None) -> Target:
    """The Location with the normalised ``path``, and ``path`` as the mall routes it (a shop
    host's own pages live under ``/shop/<slug>``)."""
    location = urlunsplit(parts._replace(path=path, query=_without_ref(parts.query)))
    if host_slug is not None:
        adapter = current_app.url_map.bind("localhost")
        if ShopHostMiddleware.belongs_to_shop(adapter, "GET", path):
            return Target(location, f"/shop/{host_slug}{path}", host_slug)
        return Target(location, path, None)
    found = _SHOP_PATH.match(path.lower())
    return Target(location, path, found.group(1) if found else None)
