"""Return notices to the customer, sent by a job that receives ids only.

The customer's address is opened at send time in the shop's context, never
passed as an argument; the email links to the order's tracking page.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.orders.models import Order
from mall.orders.tracking import tracking_link
from tenants.context import tenant_context
from tenants.models import Tenant

SUBJECTS = {
    "requested": "{shop} received your return request for order {number}",
    "approved": "{shop} accepted your return for order {number}",
    "refused": "{shop} refused your return for order {number}",
    "refunded": "{shop} received your return for order {number} and refunded it",
}


@job(queue="mail")
def send_return_notice(tenant_id: str, return_id: str, kind: str) -> None:
    """Email the customer what happened to their return request (``SUBJECTS`` lists kinds)."""
    from mall.returns.services import get_return

    if kind not in SUBJECTS:
        return
    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        request = get_return(return_id)
        if request is None:
            return
        order = db.session.scalars(sa.select(Order).where(Order.id == request.order_id)).one()
        message = render_message(
            f"returns/email/{kind}",
            to=order.email,
            subject=SUBJECTS[kind].format(shop=shop.name, number=order.number),
            shop_name=shop.name,
            number=order.number,
            shop_message=request.message if kind == "refused" else None,
            tracking_url=tracking_link(order),
            mall_name=current_app.config["MALL_NAME"],
        )
    deliver(message)
