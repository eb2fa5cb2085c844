"""The customer's shipment email: what a parcel holds and where to follow it.

``send_shipment_email`` is a job (ids only, enqueued by ``create_shipment``
after the commit). It opens the order's sealed email address in the shop's
tenant context at send time; the address is never in the job's arguments nor in
a log line.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.money import format_money
from mall.orders.models import Order, Shipment
from mall.orders.shipment_queries import get_shipment, order_lines, shipments_of, shippable_lines
from mall.orders.tracking import tracking_link
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import CiphertextInvalid, KeyDestroyed
from tenants.models import Tenant

log = logging.getLogger(__name__)


@job(queue="mail")
def send_shipment_email(tenant_id: str, shipment_id: str) -> None:
    """Email the customer what this parcel holds and its tracking link (once per shipment).

    The shipment is marked notified before the message leaves, in the job's
    transaction: a failed delivery rolls the mark back and the retry sends it,
    a repeated job finds it marked and sends nothing.
    """
    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        shipment = get_shipment(shipment_id)
        if shipment is None or not _mark_notified(shipment):
            return
        message = _shipment_message(shop, shipment)
    if message is not None:
        deliver(message)


def _mark_notified(shipment: Shipment) -> bool:
    return (
        db.session.execute(
            sa.update(Shipment)
            .where(
                Shipment.tenant_id == shipment.tenant_id,
                Shipment.id == shipment.id,
                Shipment.customer_notified_at.is_(None),
            )
            .values(customer_notified_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _shipment_message(shop: Tenant, shipment: Shipment) -> EmailMessage | None:
    order = scoped_get(Order, shipment.order_id)
    if order is None:
        return None
    try:
        to = order.email
    except (KeyDestroyed, CiphertextInvalid):
        log.info(
            "shipment email skipped: the order's copy is unreadable (shipment %s)", shipment.id
        )
        return None
    lines = order_lines(order)
    (row,) = [found for found in shipments_of(order, lines) if found.shipment.id == shipment.id]
    complete = not shippable_lines(order, lines)
    subject = (
        f"Your order {order.number} from {shop.name} has shipped"
        if complete
        else f"Part of your order {order.number} from {shop.name} has shipped"
    )
    context = {
        "shop_name": shop.name,
        "order": order,
        "shipment": shipment,
        "carrier": row.carrier,
        "items": row.items,
        "still_to_ship": shippable_lines(order, lines),
        "complete": complete,
        "tracking_page": tracking_link(order),
        "money": lambda minor: format_money(minor, code=order.currency),
    }
    # This domain's emails sit beside its pages, in orders/email/. The address is opened
    # here, at send time: never in the job's arguments.
    return render_message("orders/email/shipped", to=to, subject=subject, **context)
