"""One-click unsubscribe at /emails/unsubscribe/<token>: ``newsletter_links`` blueprint.

No sign-in: the signed token (ids only) is the authority and can do nothing but
unsubscribe. ``GET`` shows a confirm page and never unsubscribes by itself (mail
scanners and link previews open links). ``POST`` unsubscribes: from the page's
button, or straight from the mail client per RFC 8058 (``List-Unsubscribe-Post:
List-Unsubscribe=One-Click``), which posts no CSRF token, so this one route is
exempt from CSRF on purpose: a forged POST could only unsubscribe the holder of
the link. Repeating it changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from mall.extensions import csrf, db
from mall.newsletters import services
from mall.newsletters.tokens import LinkInvalid, read_unsubscribe_token
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus

bp = Blueprint("newsletter_links", __name__, template_folder="templates")

HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _find(token: str) -> tuple[Tenant | None, Any] | None:
    """(shop or None, subscription) of a token, inside the shop's context; None if invalid."""
    try:
        shop_id, subscription_id = read_unsubscribe_token(token)
    except LinkInvalid:
        return None
    if shop_id is None:
        row = services.get_mall_subscription(subscription_id)
        return (None, row) if row is not None else None
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status is TenantStatus.CLOSED:
        return None
    return shop, subscription_id


def _invalid() -> ResponseReturnValue:
    return render_template("newsletters/unsubscribe_invalid.html"), 404, HEADERS


@bp.get("/emails/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """Ask to confirm (a GET never unsubscribes)."""
    return _handle(token, confirm=False)


@bp.post("/emails/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: the mail client's one-click POST carries no CSRF token
def unsubscribe_post(token: str) -> ResponseReturnValue:
    """Unsubscribe (the page's button or the mail client's one-click POST); idempotent."""
    return _handle(token, confirm=True)


def _handle(token: str, *, confirm: bool) -> ResponseReturnValue:
    found = _find(token)
    if found is None:
        return _invalid()
    shop, subscription = found
    if shop is None:
        return _act(None, subscription, token, confirm=confirm)
    with tenant_context(shop):
        row = services.get_subscription(subscription)
        if row is None:
            return _invalid()
        return _act(shop, row, token, confirm=confirm)


def _act(shop: Tenant | None, row: Any, token: str, *, confirm: bool) -> ResponseReturnValue:
    name = shop.name if shop is not None else None
    if not confirm:
        page = render_template(
            "newsletters/unsubscribe.html",
            shop_name=name,
            token=token,
            subscribed=row.subscribed,
        )
        return page, 200, HEADERS
    services.unsubscribe(row)
    db.session.commit()
    page = render_template("newsletters/unsubscribed.html", shop_name=name)
    return page, 200, HEADERS
