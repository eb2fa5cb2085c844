"""Delivery emails, run by jobs that receive ids only.

Each job opens the shop's rows in its tenant context and reads the sealed
address at send time: an email address never sits in a job's arguments. The
customer's emails are ``delivery/email/<name>.{txt,html}``, rendered through
``mail/delivery_email`` (``mall.mail`` renders ``mail/<template>``).
"""

from __future__ import annotations

import logging
from uuid import UUID

from flask import current_app

from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from tenants.context import tenant_context
from tenants.keys import CiphertextInvalid, KeyDestroyed, reveal
from tenants.models import Tenant

log = logging.getLogger(__name__)


def _shop(tenant_id: str) -> Tenant | None:
    try:
        return db.session.get(Tenant, UUID(str(tenant_id)))
    except ValueError:
        return None


@job(queue="mail")
def send_downloads_email(tenant_id: str, order_id: str) -> None:
    """Email the buyer every file (a signed download link each) and licence key of the order."""
    from mall.delivery.queries import order_downloads
    from mall.delivery.tokens import order_link
    from mall.orders.services import get_order

    shop = _shop(tenant_id)
    if shop is None:
        return
    with tenant_context(shop):
        order = get_order(order_id)
        if order is None:
            return
        rows = order_downloads(order, links=True)
        if not rows:
            return
        try:
            to = order.email
        except (KeyDestroyed, CiphertextInvalid):
            log.info("downloads email skipped: the order's copy is unreadable (order %s)", order.id)
            return
        message = render_message(
            "delivery_email",
            email="downloads",
            to=to,
            subject=f"Your downloads from {shop.name} (order {order.number})",
            shop_name=shop.name,
            contact=reveal(shop, "contact_email"),
            order=order,
            rows=rows,
            page_url=order_link(order),
        )
    deliver(message)


@job(queue="mail")
def send_keys_issued_email(tenant_id: str, grant_id: str) -> None:
    """Tell the buyer that the licence key(s) their order waited for are ready."""
    from mall.delivery.services import get_grant, get_line
    from mall.delivery.tokens import order_link
    from mall.orders.services import get_order

    shop = _shop(tenant_id)
    if shop is None:
        return
    with tenant_context(shop):
        grant = get_grant(grant_id)
        order = get_order(grant.order_id) if grant is not None else None
        if grant is None or order is None:
            return
        line = get_line(grant.order_line_id)
        try:
            to = order.email
        except (KeyDestroyed, CiphertextInvalid):
            return
        message = render_message(
            "delivery_email",
            email="keys_ready",
            to=to,
            subject=f"Your licence key from {shop.name} is ready (order {order.number})",
            shop_name=shop.name,
            order=order,
            title=line.title if line is not None else "your item",
            page_url=order_link(order),
        )
    deliver(message)


@job(queue="mail")
def send_low_pool_email(tenant_id: str, pool_id: str) -> None:
    """Warn the shop's owners that a licence key pool is running low (once per crossing)."""
    from mall.catalog.models import Variant
    from mall.console.services import shop_owners
    from mall.delivery.keys import available, low_mark
    from mall.delivery.models import KeyPool
    from mall.urls import external_url
    from tenants.guard import scoped_get

    shop = _shop(tenant_id)
    if shop is None:
        return
    with tenant_context(shop):
        pool = scoped_get(KeyPool, pool_id)
        if pool is None:
            return
        variant = scoped_get(Variant, pool.variant_id)
        title = variant.product.title if variant is not None else "A removed product"
        context = {
            "shop_name": shop.name,
            "title": title,
            "sku": variant.sku if variant is not None else "",
            "left": available(pool),
            "mark": low_mark(pool),
            "pool_url": external_url(
                "delivery_admin.pool", shop=shop.slug, variant_id=pool.variant_id
            ),
        }
        owners = shop_owners(shop)
        subject = (
            f"Licence keys running low for {title} at {shop.name} "
            f"on {current_app.config['MALL_NAME']}"
        )
        messages = [
            render_message(
                "delivery_email", email="low_pool", to=owner.email, subject=subject, **context
            )
            for owner in owners
        ]
    for message in messages:
        deliver(message)
