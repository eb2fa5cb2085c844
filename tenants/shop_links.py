"""Links on a shop's own host (``<slug>.<base domain>`` or its custom domain).

The shop's own pages stay on its host, without the ``/shop/<slug>`` prefix
(``ShopHostMiddleware`` maps them back). Everything else — the mall's pages,
other shops, the shop's back office — is an absolute URL on the mall's host
(``mall_origin``), so "Mall" leads to the mall and another shop's products and
pictures load from where they are served. Forms that post to a mall route
which the shop's host also serves (the cart's "Add") stay on this host: the
session is the same one there, and a cross-host POST would fail the CSRF
referrer check. Pages on a shop's host may load images from and send GET forms
(the search box) to the mall's origin (the CSP says so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, has_request_context, request

from mall.security import policy_also_allowing
from tenants.resolution import MALL_ONLY_PATHS, ShopHostMiddleware, mall_origin

HOST_SHOP = "mall.host_shop"  # the environ key ShopHostMiddleware sets on a shop's host


def init_app(app: Flask) -> None:
    """Build URLs for shop hosts as above, and widen their CSP by the mall's origin."""
    build = app.url_for

    def url_for(endpoint: str, **values: Any) -> str:
        url = build(endpoint, **values)
        slug = request.environ.get(HOST_SHOP) if has_request_context() else None
        if slug is None or values.get("_external") or endpoint == "static":
            return url
        return link_from_shop_host(app, slug, url, _endpoint_methods(app, endpoint))

    app.url_for = url_for  # type: ignore[method-assign]
    app.jinja_env.globals["url_for"] = url_for
    app.after_request(_allow_the_mall_origin(app))

    @app.context_processor
    def shop_host() -> dict[str, bool]:
        # A page on a shop's host cannot post to the mall's (the CSRF referrer check):
        # the layout links to the account page for signing out there.
        on_shop_host = has_request_context() and request.environ.get(HOST_SHOP) is not None
        return {"on_shop_host": on_shop_host}


def link_from_shop_host(app: Flask, slug: str, url: str, methods: set[str]) -> str:
    """Where ``url`` (a path the app built) points from a page on ``slug``'s own host."""
    path, _, query = url.partition("?")
    own = f"/shop/{slug}"
    if _is_under(path, own) and not _is_under(path, f"{own}/admin"):
        local = path[len(own) :] or "/"
        adapter = app.url_map.bind("localhost")
        if ShopHostMiddleware.belongs_to_shop(adapter, "GET", local):
            return local + (f"?{query}" if query else "")
        return url
    posts_only = "GET" not in methods
    if posts_only and not any(_is_under(path, prefix) for prefix in MALL_ONLY_PATHS):
        return url
    return mall_origin(request.environ, app.config) + url


def _endpoint_methods(app: Flask, endpoint: str) -> set[str]:
    if endpoint.startswith("."):
        endpoint = f"{request.blueprint}{endpoint}"
    return {method for rule in app.url_map.iter_rules(endpoint) for method in rule.methods or ()}


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _allow_the_mall_origin(app: Flask) -> Callable[[Response], Response]:
    def widen(response: Response) -> Response:
        if request.environ.get(HOST_SHOP) is not None:
            origin = mall_origin(request.environ, app.config)
            response.headers["Content-Security-Policy"] = policy_also_allowing(origin)
        return response

    return widen
