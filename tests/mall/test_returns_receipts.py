"""Receiving a return after the shop refunded some of its units from the order page: each line
is capped at what is left to refund, the return closes anyway and the page says what was
refunded before; restocking counts every unit received once."""

from __future__ import annotations

from uuid import uuid4

import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.orders.models import OrderRefund
from mall.orders.refunds import RefundRequest, everything_left, refund_order
from mall.returns import services
from mall.returns.models import ReturnStatus
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tests.mall.test_returns import ask, load, no_csrf, shipped_order, staff_of_a

__all__ = ["no_csrf", "staff_of_a"]  # fixtures used here


def approved(shop, made, units: int):
    request, _ = ask(shop, made, units)
    with tenant_context(shop):
        assert services.approve(services.get_return(request), actor_id=None)
        db.session.commit()
    return request


def refund_from_order_page(shop, made, request: RefundRequest) -> None:
    with tenant_context(shop):
        refund_order(load(shop, made.id), request, actor_id=None, key=uuid4().hex)
        db.session.commit()


def stock(shop, made) -> int:
    with tenant_context(shop):
        db.session.expire_all()
        return scoped_get(Variant, made.variant_id).stock_quantity


def test_units_refunded_first_are_not_refunded_again_and_the_page_says_so(
    app_ctx, client, shop_a, staff_of_a, no_csrf
):
    made = shipped_order(shop_a, quantity=2, shipped=2)
    request = approved(shop_a, made, 2)
    refund_from_order_page(shop_a, made, RefundRequest(quantities={made.line_id: 1}))
    before = stock(shop_a, made)
    page = f"/shop/{shop_a.slug}/admin/returns/{request}"
    done = client.post(f"{page}/receive", data={"restock": "y"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "can be refunded" not in html
    assert "1 unit of “Teapot" in html and "was already refunded from the order page" in html
    with tenant_context(shop_a):
        found = services.get_return(request)
        assert found.status is ReturnStatus.REFUNDED
        order = load(shop_a, made.id)
        line = order.lines[0]
        assert order.refunded_amount == line.total  # each unit once; the shipping is kept
        assert (line.quantity_refunded, line.quantity_returned) == (2, 1)
        assert line.amount_refunded == line.total
        refund = db.session.get(OrderRefund, (shop_a.id, found.refund_id))
        assert [item.quantity for item in refund.lines] == [1]
    # Both units came back; neither refund had put them back in stock.
    assert stock(shop_a, made) == before + 2
    again = client.get(page).get_data(as_text=True)
    assert "Received and refunded" in again and "was already refunded from the order page" in again


def test_a_return_refunded_in_full_from_the_order_page_still_closes(
    app_ctx, client, shop_a, staff_of_a, no_csrf
):
    made = shipped_order(shop_a, quantity=2, shipped=2)
    request = approved(shop_a, made, 2)
    with tenant_context(shop_a):
        everything = everything_left(load(shop_a, made.id))
    refund_from_order_page(shop_a, made, everything)  # restocked by that refund
    before = stock(shop_a, made)
    page = f"/shop/{shop_a.slug}/admin/returns/{request}"
    done = client.post(f"{page}/receive", data={"restock": "y"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "nothing is left to refund" not in html
    assert "nothing was left to refund" in html
    assert "2 units of “Teapot" in html and "were already refunded from the order page" in html
    with tenant_context(shop_a):
        found = services.get_return(request)
        assert found.status is ReturnStatus.REFUNDED and found.refund_id is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderRefund)) == 1
    assert stock(shop_a, made) == before  # already put back by the order page's refund
    stale = client.post(f"{page}/receive", follow_redirects=True).get_data(as_text=True)
    assert "nothing changed" in stale
