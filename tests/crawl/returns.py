"""Returns: the shop's policy and return requests (back office), the customer's return form."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

# Signed link only: the order's tracking token; a tampered one, or one of another shop on a
# shop's host, answers 404 (``tests/mall/test_returns.py``).
MALL_ROUTES = {"returns.new_return"}

SHOP_ROUTES = {
    "returns_admin.policy",
    "returns_admin.returns",
    "returns_admin.detail",
    "returns_admin.approve",
    "returns_admin.refuse",
    "returns_admin.receive",
}


def make_return(shop):
    """A requested return of ``shop`` for an order's line (committed); its id."""
    from mall.returns.models import ReturnLine, ReturnRequest
    from tenants.context import tenant_context
    from tests.crawl.orders import place_order

    with tenant_context(shop):
        order = place_order(shop)
        made = ReturnRequest(tenant_id=shop.id, order_id=order.id, request_key=uuid4().hex)
        made.reason = "Too small."
        db.session.add(made)
        db.session.flush()
        db.session.add(
            ReturnLine(
                tenant_id=shop.id, return_id=made.id, order_line_id=order.lines[0].id, quantity=1
            )
        )
        db.session.commit()
        return made.id


OBJECT_IDS = {"return_id": make_return}
