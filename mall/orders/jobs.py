"""Order emails, run by jobs that receive ids only."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.money import format_money
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
