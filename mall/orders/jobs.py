"""Order emails, run by jobs that receive ids only.

The customer's emails are rendered from ``orders/email/<name>.{txt,html}``
(``mall.mail`` renders a domain's template path): each job opens the order in its
shop's context and reads the sealed address there.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.money import format_money
from mall.orders.status import holds_of
from mall.shops.models import Membership, Role
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant


@job(queue="mail")
def send_new_order_email(tenant_id: str, order_id: str) -> None:
    """Tell the shop's owners about a new order: number, items, totals and a link to it.

    The customer's address stays out of the email; the order page shows it to staff.
    """
    from mall.orders.services import get_order

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        order = get_order(order_id)
        if order is None:
            return
        context = {
            "shop_name": shop.name,
            "number": order.number,
            "order": order,
            "lines": list(order.lines),
            "money": lambda minor: format_money(minor, code=order.currency),
            "order_url": external_url("orders_admin.order", shop=shop.slug, order_id=order.id),
            # Why a paid order is not fulfilled yet (delivery: a licence key still owed).
            "hold": holds_of([order]).get(order.id),
        }
        owners = db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == shop.id, Membership.role == Role.OWNER)
            .order_by(Membership.created_at)
        ).all()
        subject = f"New order {order.number} for {shop.name} on {current_app.config['MALL_NAME']}"
        messages = [
            render_message("new_order", to=owner.email, subject=subject, **context)
            for owner in owners
        ]
    for message in messages:
        deliver(message)


def _email_customer(tenant_id: str, order_id: str, *, email: str, subject: str) -> None:
    """Render ``orders/email/<email>`` for the order's customer and send it."""
    from mall.orders.services import get_order

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        order = get_order(order_id)
        if order is None:
            return
        message = render_message(
            f"orders/email/{email}",
            to=order.email,  # opened here, at send time: never in the job's arguments
            subject=subject.format(number=order.number, shop=shop.name),
            shop_name=shop.name,
            order=order,
            lines=list(order.lines),
            money=lambda minor: format_money(minor, code=order.currency),
        )
    deliver(message)


@job(queue="mail")
def send_order_cancelled_email(tenant_id: str, order_id: str) -> None:
    """Tell the customer that the shop cancelled their order (and what was refunded)."""
    _email_customer(
        tenant_id, order_id, email="cancelled", subject="Your order {number} at {shop} is cancelled"
    )


@job(queue="mail")
def send_transfer_received_email(tenant_id: str, order_id: str) -> None:
    """Tell the customer that the shop received their bank transfer: the order is paid."""
    _email_customer(
        tenant_id,
        order_id,
        email="transfer_received",
        subject="{shop} received your payment for order {number}",
    )
