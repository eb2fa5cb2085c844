"""Find the shop a request is for: ``/shop/<slug>/…``, ``<slug>.<base domain>`` or a custom domain.

Shop-scoped blueprints are made with ``shop_blueprint()``; their URLs start
with ``/shop/<shop>``. On a shop's own host (subdomain or custom domain) the
``ShopHostMiddleware`` maps ``/x`` to ``/shop/<slug>/x`` before routing, so the
same views answer there. The request then runs inside ``tenant_context(shop)``.

A shop's host never shows a page where people type mall credentials or act
as themselves: sign-in, registration and reset (``/account``), the operator
console and the shop's back office (``/admin``), shop registration
(``/shops/new``) and invitations (``/invitations``) redirect to the mall's own
host. A shop that controls its domain's DNS could otherwise collect what is
typed there, and the session cookie set there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, g, render_template, request
from sqlalchemy.orm import make_transient_to_detached
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import MapAdapter, RequestRedirect
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from mall.errors import plain_response
from mall.extensions import db
from mall.security import add_security_headers
from tenants.context import tenant_context
from tenants.models import Tenant, TenantDomain, TenantStatus
from tenants.shop_cache import cached_copy, cached_host_slug, remember_copy

log = logging.getLogger(__name__)

SHOP_PREFIX = "/shop/<shop>"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SLUG_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# Served by the mall's own host only (see the module's docstring).
MALL_ONLY_PATHS = ("/account", "/admin", "/shops/new", "/invitations")


def shop_blueprint(name: str, import_name: str, *, admin: bool = False, **kwargs: Any) -> Blueprint:
    """A blueprint whose routes live under ``/shop/<shop>`` and run in that shop's context.

    Public blueprints answer 404 for pending and closed shops and a
    "temporarily closed" page for suspended ones; ``admin=True`` blueprints
    serve every status but refuse changes while the shop is suspended or closed.
    """
    prefix = SHOP_PREFIX + kwargs.pop("url_prefix", "")
    blueprint = Blueprint(name, import_name, url_prefix=prefix, **kwargs)
    # The back office reads its shop fresh; public pages may use the shop cache.
    blueprint.url_value_preprocessor(_enter_shop if admin else _enter_open_shop)
    blueprint.url_defaults(_add_shop_slug)
    blueprint.before_request(_admit_to_admin if admin else _require_open_shop)
    return blueprint


AdminGate = Callable[[Tenant], Any]
_admin_gate: AdminGate | None = None


def register_admin_gate(gate: AdminGate) -> None:
    """Set who may enter shop admin blueprints (``mall.shops`` registers it).

    The gate returns None to admit, or a response (sign-in redirect, 404).
    Without a gate every admin page answers 404: fail closed.
    """
    global _admin_gate
    _admin_gate = gate


def _admit_to_admin() -> Any:
    if _admin_gate is None:
        abort(404)
    refusal = _admin_gate(g.shop)
    if refusal is not None:
        return refusal
    return _refuse_writes_if_read_only()


def find_shop(slug: str) -> Tenant | None:
    """The shop with this slug, or None."""
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug.lower()))


def cached_shop(slug: str) -> Tenant | None:
    """The shop with this slug, from the shop cache when it is there (no query).

    A cached shop is a detached copy of its row, shared by this process's
    requests and never attached to a session: public pages only read it (the
    back office loads its shop with ``find_shop``).
    """
    key = slug.lower()
    shop = cached_copy(key)
    if shop is None:
        shop = find_shop(key)
        if shop is not None:
            remember_copy(key, detached_copy(shop))
    return shop


def detached_copy(shop: Tenant) -> Tenant:
    """A copy of ``shop``'s columns, as a detached instance (loaded, never lazy-loading)."""
    copy = Tenant(**{a.key: getattr(shop, a.key) for a in sa.inspect(Tenant).column_attrs})
    make_transient_to_detached(copy)
    return copy


def shop_for_host(host: str, base_domain: str | None) -> str | None:
    """The slug of the shop served at ``host``, or None for the mall itself.

    A host that is not a well-formed name (``..``, a label over 63 characters,
    control characters) is no shop's: the mall answers it (400, bad host).
    """
    host = host.split(":", 1)[0].lower().rstrip(".")
    if not is_host_name(host):
        return None
    if base_domain and host.endswith("." + base_domain):
        label = host[: -len(base_domain) - 1]
        if label != "www" and _SLUG_LABEL.match(label):
            return label
        return None
    if not host or host == base_domain or host in {"localhost", "127.0.0.1", "[::1]"}:
        return None
    return cached_host_slug(
        host,
        lambda: db.session.scalar(
            sa.select(Tenant.slug).join(TenantDomain).where(TenantDomain.host == host)
        ),
    )


def is_host_name(host: str) -> bool:
    """True when ``host`` is a syntactically valid DNS name (labels of 1 to 63 characters)."""
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.split("."))


def mall_origin(environ: dict[str, Any], config: Any) -> str:
    """The scheme and host where the mall itself answers, for a request on a shop's host.

    ``MALL_PUBLIC_URL`` when it is on the base domain (production); otherwise
    (development: 127.0.0.1 and ``localhost``) the base domain with the
    request's scheme and port, so ``shop.localhost:5000`` leads to ``localhost:5000``.
    """
    base = config.get("BASE_DOMAIN")
    public = urlsplit(config.get("PUBLIC_URL") or "")
    if public.hostname and (not base or public.hostname in (base, f"www.{base}")):
        return f"{public.scheme}://{public.netloc}"
    host = environ.get("HTTP_HOST") or ""
    port = host.rpartition(":")[2] if ":" in host else ""
    port = f":{port}" if port.isdigit() else ""
    return f"{environ.get('wsgi.url_scheme', 'http')}://{base or 'localhost'}{port}"


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _enter_shop(endpoint: str | None, values: dict[str, Any] | None) -> None:
    _enter(values, find_shop)


def _enter_open_shop(endpoint: str | None, values: dict[str, Any] | None) -> None:
    _enter(values, cached_shop)


def _enter(values: dict[str, Any] | None, lookup: Callable[[str], Tenant | None]) -> None:
    slug = (values or {}).pop("shop", None)
    if slug is None:
        return
    host_slug = request.environ.get("mall.host_shop")
    if host_slug is not None and host_slug != slug.lower():
        abort(404)  # a shop's own domain serves that shop only
    shop = lookup(slug)
    if shop is None:
        abort(404)
    g.shop = shop
    stack = ExitStack()
    stack.enter_context(tenant_context(shop))
    g.shop_context = stack


def leave_shop(error: BaseException | None = None) -> None:
    """Teardown: leave the shop's context entered for this request."""
    stack = g.pop("shop_context", None)
    if stack is not None:
        stack.close()


def _add_shop_slug(endpoint: str, values: dict[str, Any]) -> None:
    shop = g.get("shop")
    if shop is not None:
        values.setdefault("shop", shop.slug)


def _require_open_shop() -> Any:
    shop: Tenant = g.shop
    if shop.status is TenantStatus.ACTIVE:
        return None
    if shop.status is TenantStatus.SUSPENDED:
        return render_template("tenants/temporarily_closed.html", shop=shop), 503
    abort(404)


def _refuse_writes_if_read_only() -> Any:
    shop: Tenant = g.shop
    if shop.admin_is_read_only and request.method not in SAFE_METHODS:
        return render_template("tenants/read_only.html", shop=shop), 403
    return None


class ShopHostMiddleware:
    """Serve a shop at its own host by mapping ``/x`` to ``/shop/<slug>/x``.

    Paths the mall itself routes (``/static``, ``/healthz``, mall-wide pages
    other than the home page) pass through unchanged; ``MALL_ONLY_PATHS`` and
    the back office redirect to the mall's host (``mall_origin``).
    """

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        with self.app.app_context():
            try:
                slug = shop_for_host(host, self.app.config.get("BASE_DOMAIN"))
            except sa.exc.SQLAlchemyError:
                # Fail closed: not knowing whose host this is, serve nothing on it.
                log.exception("could not look up which shop a host belongs to")
                return self._answer(plain_response(503), environ, start_response)
            finally:
                db.session.remove()
        if slug is None:
            return self.wsgi_app(environ, start_response)
        environ["mall.host_shop"] = slug
        path = environ.get("PATH_INFO") or "/"
        adapter = self.app.url_map.bind("localhost")  # no host matching: any name will do
        target = self._path_on_the_mall(adapter, slug, path)
        if target is not None:
            return self._answer(self._to_mall(environ, adapter, target), environ, start_response)
        if self.belongs_to_shop(adapter, environ.get("REQUEST_METHOD", "GET"), path):
            environ["PATH_INFO"] = f"/shop/{slug}{path}"
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _path_on_the_mall(adapter: MapAdapter, slug: str, path: str) -> str | None:
        """Where on the mall's host this path is served, or None when the shop's host serves it.

        On a shop's host ``/admin/…`` is that shop's back office when it routes
        there (``/admin/`` included), else the operator console.
        """
        own_admin = f"/shop/{slug}/admin"
        if _is_under(path.lower(), own_admin):
            return path
        if _is_under(path, "/admin") and _routes(adapter, f"/shop/{slug}{path}"):
            return f"/shop/{slug}{path}"
        if any(_is_under(path, prefix) for prefix in MALL_ONLY_PATHS):
            return path
        return None

    def _to_mall(self, environ: dict[str, Any], adapter: MapAdapter, path: str) -> Response:
        """302 for GET and HEAD; any other method gets a 303 to the GET page (nothing re-posted)."""
        method = environ.get("REQUEST_METHOD", "GET")
        query = environ.get("QUERY_STRING", "")
        if method not in SAFE_METHODS and not _routes(adapter, path, "GET"):
            path, query = "/", ""
        location = mall_origin(environ, self.app.config) + _quote_path(path)
        if query:
            location += "?" + quote(query, safe="/?:@!$&'()*+,;=-._~%[]")
        return redirect(location, code=302 if method in ("GET", "HEAD") else 303)

    def _answer(
        self, response: Response, environ: dict[str, Any], start_response: Callable
    ) -> Iterable[bytes]:
        add_security_headers(response.headers, self.app.config)
        return response(environ, start_response)

    @staticmethod
    def belongs_to_shop(adapter: MapAdapter, method: str, path: str) -> bool:
        """True when ``path`` on a shop's host is the shop's (the mall routes no such path)."""
        if path == "/":
            return True
        try:
            adapter.match(path, method=method)
        except NotFound:
            return True
        except (RequestRedirect, MethodNotAllowed):
            return False  # the mall's own route answers (with its redirect or 405)
        return False


def _routes(adapter: MapAdapter, path: str, method: str | None = None) -> bool:
    """True when the app routes ``path`` for ``method`` (any method when None).

    A redirect to the path with a trailing slash counts as routed.
    """
    try:
        adapter.match(path, method=method or "GET")
    except RequestRedirect:
        return True
    except MethodNotAllowed:
        return method is None
    except NotFound:
        return False
    return True


def _quote_path(path: str) -> str:
    """A WSGI ``PATH_INFO`` (bytes decoded as latin-1) as it goes into a URL."""
    return quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~")
