"""The customer's tracking page, ``/orders/<token>`` (``tracking`` blueprint), without signing in.

The signed token is the only key (``mall.orders.tracking``): a tampered, replaced
or unknown one answers 404, the same page whatever the reason. On a shop's own
host only that shop's orders are served. Responses are ``no-store`` and
``noindex``: the page is the customer's, not a search engine's nor a cache's.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue

from mall.extensions import db
from mall.money import format_money
from mall.orders.models import Order
from mall.orders.tracking import find_tracked_order, tracking_page
from tenants.context import tenant_context
from tenants.models import Tenant

bp = Blueprint("tracking", __name__, url_prefix="/orders", template_folder="templates")


def tracked_or_404(token: str) -> Order:
    """The order of a valid, current tracking token served on this host; else a 404."""
    order = find_tracked_order(token)
    if order is None or not served_on_this_host(order.tenant_id):
        abort(404)
    return order


def served_on_this_host(shop_id: UUID) -> bool:
    """False on another shop's own host (subdomain or custom domain): it serves its own
    orders only. The mall's host serves every shop's."""
    host_shop = request.environ.get("mall.host_shop")
    if host_shop is None:
        return True
    shop = db.session.get(Tenant, shop_id)
    return shop is not None and shop.slug == host_shop


def private(response: ResponseReturnValue) -> ResponseReturnValue:
    """Keep a page behind a tracking token out of caches and search engines."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/<token>")
def order(token: str) -> ResponseReturnValue:
    """The order's status, parcels with their carriers' links, timeline and the shop's contact."""
    found = tracked_or_404(token)
    with tenant_context(found.tenant_id):
        page = tracking_page(found)
        html = render_template(
            "orders/tracking.html",
            page=page,
            token=token,
            money=lambda minor: format_money(minor, code=found.currency),
        )
    return private(html)
