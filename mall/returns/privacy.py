"""The returns domain's part of a customer's data export (``add_export_section``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mall.accounts.models import User
from mall.extensions import db
from mall.orders.models import Order, OrderLine
from mall.returns.models import ReturnLine, ReturnRequest
from tenants.keys import reveal


def export_section(user: User) -> list[dict[str, Any]]:
    """The shop in context's return requests on ``user``'s orders: items, their reason, the
    shop's message and the state (three queries)."""
    requests = db.session.scalars(
        sa.select(ReturnRequest)
        .join(
            Order,
            sa.and_(Order.tenant_id == ReturnRequest.tenant_id, Order.id == ReturnRequest.order_id),
        )
        .where(Order.user_id == user.id)
        .order_by(ReturnRequest.created_at, ReturnRequest.id)
    ).all()
    if not requests:
        return []
    rows = db.session.execute(
        sa.select(Order.id, Order.number).where(
            Order.id.in_({request.order_id for request in requests})
        )
    )
    numbers = {order_id: number for order_id, number in rows}
    items = db.session.execute(
        sa.select(ReturnLine.return_id, OrderLine.title, ReturnLine.quantity)
        .join(
            OrderLine,
            sa.and_(
                OrderLine.tenant_id == ReturnLine.tenant_id,
                OrderLine.id == ReturnLine.order_line_id,
            ),
        )
        .where(ReturnLine.return_id.in_([request.id for request in requests]))
        .order_by(OrderLine.position)
    ).all()
    return [
        {
            "order": numbers.get(request.order_id),
            "requested_at": request.created_at.isoformat(),
            "status": str(request.status),
            "items": [
                {"title": title, "quantity": quantity}
                for return_id, title, quantity in items
                if return_id == request.id
            ],
            "reason": reveal(request, "reason"),
            "message_from_the_shop": reveal(request, "message") if request.message_ct else None,
        }
        for request in requests
    ]
