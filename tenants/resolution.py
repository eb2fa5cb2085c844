"""Find the shop a request is for: ``/shop/<slug>/…``, ``<slug>.<base domain>`` or a custom domain.

Shop-scoped blueprints are made with ``shop_blueprint()``; their URLs start
with ``/shop/<shop>``. On a shop's own host (subdomain or custom domain) the
``ShopHostMiddleware`` maps ``/x`` to ``/shop/<slug>/x`` before routing, so the
same views answer there. The request then runs inside ``tenant_context(shop)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, g, render_template, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import Tenant, TenantDomain, TenantStatus

SHOP_PREFIX = "/shop/<shop>"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SLUG_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def shop_blueprint(name: str, import_name: str, *, admin: bool = False, **kwargs: Any) -> Blueprint:
    """A blueprint whose routes live under ``/shop/<shop>`` and run in that shop's context.

    Public blueprints answer 404 for pending and closed shops and a
    "temporarily closed" page for suspended ones; ``admin=True`` blueprints
    serve every status but refuse changes while the shop is suspended or closed.
    """
    prefix = SHOP_PREFIX + kwargs.pop("url_prefix", "")
    blueprint = Blueprint(name, import_name, url_prefix=prefix, **kwargs)
    blueprint.url_value_preprocessor(_enter_shop)
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


def shop_for_host(host: str, base_domain: str | None) -> str | None:
    """The slug of the shop served at ``host``, or None for the mall itself."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    if base_domain and host.endswith("." + base_domain):
        label = host[: -len(base_domain) - 1]
        if label != "www" and _SLUG_LABEL.match(label):
            return label
        return None
    if not host or host == base_domain or host in {"localhost", "127.0.0.1", "[::1]"}:
        return None
    return db.session.scalar(
        sa.select(Tenant.slug).join(TenantDomain).where(TenantDomain.host == host)
    )


def _enter_shop(endpoint: str | None, values: dict[str, Any] | None) -> None:
    slug = (values or {}).pop("shop", None)
    if slug is None:
        return
    host_slug = request.environ.get("mall.host_shop")
    if host_slug is not None and host_slug != slug.lower():
        abort(404)  # a shop's own domain serves that shop only
    shop = find_shop(slug)
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
    other than the home page) pass through unchanged.
    """

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        with self.app.app_context():
            slug = shop_for_host(host, self.app.config.get("BASE_DOMAIN"))
            path = environ.get("PATH_INFO") or "/"
            if slug and self._belongs_to_shop(environ, path):
                environ["mall.host_shop"] = slug
                environ["PATH_INFO"] = f"/shop/{slug}{path}"
            elif slug:
                environ["mall.host_shop"] = slug
            db.session.remove()
        return self.wsgi_app(environ, start_response)

    def _belongs_to_shop(self, environ: dict[str, Any], path: str) -> bool:
        if path == "/":
            return True
        adapter = self.app.url_map.bind_to_environ(environ)
        try:
            adapter.match(path, method=environ.get("REQUEST_METHOD", "GET"))
        except NotFound:
            return True
        except (RequestRedirect, MethodNotAllowed):
            return False  # the mall's own route answers (with its redirect or 405)
        return False
