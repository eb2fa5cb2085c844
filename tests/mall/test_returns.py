"""Returns per shop: the policy (category > shop > default) on product pages, the customer's
request from the tracking page (window, quantities, once per form, sealed reason), the shop's
approve / refuse / received-refund (each once; the refund is the orders capability's, restock
moves stock) and isolation between shops."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Category, Product, Variant
from mall.db import utcnow
from mall.extensions import db
from mall.orders.errors import OrderError
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order, OrderRefund, OrderStatus
from mall.orders.refunds import RefundRequest, plan_refund, refund_order
from mall.orders.services import mark_delivered, mark_order_paid
from mall.orders.shipment_queries import left_to_ship
from mall.orders.tracking import tracking_link
from mall.returns import services
from mall.returns.errors import ReturnError
from mall.returns.models import ReturnPayer, ReturnRequest, ReturnStatus
from mall.returns.policy import product_policy, save_policy, window_for
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tests.crawl.orders import place_order
from tests.support.mail import clear_outbox


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def ship(order, units: int, *, days_ago: int = 0) -> None:
    """Send a parcel of ``units`` of the order's first line, ``days_ago`` days ago."""
    create_shipment(
        order,
        quantities={order.lines[0].id: units},
        carrier="ups",
        shipped_at=utcnow() - timedelta(days=days_ago),
        request_key=uuid4().hex,
        actor_id=None,
    )


def shipped_order(shop, *, quantity: int = 3, shipped: int = 2, days_ago: int = 1):
    """A paid order of ``shop`` with ``shipped`` of ``quantity`` units sent ``days_ago`` days
    ago in one parcel, if any (committed)."""
    with tenant_context(shop):
        order = place_order(shop, quantity=quantity)
        order.placed_at = utcnow() - timedelta(days=days_ago + 1)
        assert mark_order_paid(order, note="Paid.")
        line = order.lines[0]
        if shipped:
            ship(order, shipped, days_ago=days_ago)
        made = SimpleNamespace(
            id=order.id, line_id=line.id, variant_id=line.variant_id, product_id=line.product_id
        )
        db.session.commit()
        made.path = re.sub(r"^https?://[^/]+", "", tracking_link(order))
    return made


def load(shop, order_id) -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()


def ask(shop, made, units: int, *, key: str | None = None):
    """Request a return of ``units`` of the order's line (committed): (its id, made now?)."""
    with tenant_context(shop):
        order = load(shop, made.id)
        request, new = services.request_return(
            order, quantities={made.line_id: units}, reason="Too small.", key=key or uuid4().hex
        )
        db.session.commit()
        return request.id, new


def test_window_precedence_is_category_then_shop_then_default():
    category = uuid4()
    assert window_for(None, shop_days=None, overrides={}) == 30
    assert window_for(category, shop_days=14, overrides={}) == 14
    assert window_for(category, shop_days=14, overrides={category: 60}) == 60
    assert window_for(uuid4(), shop_days=14, overrides={category: 60}) == 14


def test_the_product_page_shows_the_policy_with_the_category_window(app_ctx, client, shop_a):
    category = Category(name="Teapots", slug=f"teapots-{uuid4().hex[:6]}")
    db.session.add(category)
    db.session.commit()
    made = shipped_order(shop_a)
    with tenant_context(shop_a):
        product = scoped_get(Product, made.product_id)
        assert product_policy(product).window_days == 30
        save_policy(14, payer=ReturnPayer.SHOP, text="Unused, in the box.", overrides={})
        db.session.commit()
        assert product_policy(product).window_days == 14
        product.category_id = category.id
        save_policy(
            14, payer=ReturnPayer.SHOP, text="Unused, in the box.", overrides={category.id: 60}
        )
        db.session.commit()
        shown = product_policy(product)
        assert (shown.window_days, shown.payer) == (60, ReturnPayer.SHOP)
        product.status = "published"
        product.published_at = utcnow()
        slug = product.slug
        db.session.commit()
    html = client.get(f"/shop/{shop_a.slug}/products/{slug}").get_data(as_text=True)
    assert "within 60 days of shipping" in html and "Unused, in the box." in html


def test_only_shipped_units_within_the_window_can_be_returned(app_ctx, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=2, days_ago=5)
    with tenant_context(shop_a):
        (item,) = services.returnable_lines(load(shop_a, made.id))
        assert item.units == 2
        save_policy(3, payer=ReturnPayer.CUSTOMER, text="", overrides={})
        db.session.commit()
        (item,) = services.returnable_lines(load(shop_a, made.id))
        assert item.units == 0
    with pytest.raises(ReturnError, match="cannot be returned now"):
        ask(shop_a, made, 1)


def test_quantities_never_pass_shipped_less_refunded_less_requested(app_ctx, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=2)
    with pytest.raises(ReturnError, match="at most 2"):
        ask(shop_a, made, 3)
    db.session.rollback()
    ask(shop_a, made, 1)
    with pytest.raises(ReturnError, match="at most 1"):
        ask(shop_a, made, 2)
    db.session.rollback()
    first, _ = ask(shop_a, made, 1)
    with pytest.raises(ReturnError, match="cannot be returned now"):
        ask(shop_a, made, 1)
    db.session.rollback()
    with tenant_context(shop_a):  # a refused request gives its units back
        assert services.refuse(services.get_return(first), message="Worn.", actor_id=None)
        db.session.commit()
    ask(shop_a, made, 1)


def test_a_partly_shipped_order_returns_the_shipped_units_only(app_ctx, client, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=1)
    with tenant_context(shop_a):
        order = load(shop_a, made.id)
        assert order.status == "partially_fulfilled" and order.fulfilled_at is None
        (item,) = services.returnable_lines(order)
        assert item.units == 1
    assert "Return items of this order" in client.get(made.path).get_data(as_text=True)
    assert ": up to 1, until" in client.get(f"{made.path}/returns/new").get_data(as_text=True)
    with pytest.raises(ReturnError, match="at most 1"):
        ask(shop_a, made, 2)
    db.session.rollback()
    ask(shop_a, made, 1)
    with tenant_context(shop_a):
        ship(load(shop_a, made.id), 2)
        db.session.commit()
        (item,) = services.returnable_lines(load(shop_a, made.id))
        assert item.units == 2


def test_nothing_shipped_nothing_returnable_and_no_link(app_ctx, client, shop_a):
    made = shipped_order(shop_a, quantity=2, shipped=0)
    with tenant_context(shop_a):
        (item,) = services.returnable_lines(load(shop_a, made.id))
        assert (item.units, item.until) == (0, None)
    assert "Return items" not in client.get(made.path).get_data(as_text=True)
    form = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert "Nothing in this order can be returned now" in form
    assert "Ask for the return" not in form
    with pytest.raises(ReturnError, match="cannot be returned now"):
        ask(shop_a, made, 1)


def test_the_window_of_an_early_parcel_closes_before_a_later_one(app_ctx, client, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=1, days_ago=20)
    with tenant_context(shop_a):
        save_policy(14, payer=ReturnPayer.CUSTOMER, text="", overrides={})
        ship(load(shop_a, made.id), 1, days_ago=2)
        db.session.commit()
        order = load(shop_a, made.id)
        (item,) = services.returnable_lines(order)
        assert item.units == 1  # the early parcel's window closed six days ago
        assert item.until.date() == (utcnow() + timedelta(days=12)).date()
        (then,) = services.returnable_lines(order, now=utcnow() - timedelta(days=7))
        assert then.units == 2 and [units for units, _ in then.windows] == [1, 1]
    form = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert ": up to 1, until" in form
    with pytest.raises(ReturnError, match="at most 1"):
        ask(shop_a, made, 2)


def test_a_requested_unit_counts_against_the_parcel_that_closes_last(app_ctx, client, shop_a):
    made = shipped_order(shop_a, quantity=2, shipped=1, days_ago=10)
    with tenant_context(shop_a):
        save_policy(14, payer=ReturnPayer.CUSTOMER, text="", overrides={})
        ship(load(shop_a, made.id), 1, days_ago=2)
        db.session.commit()
    soon, late = (f"{utcnow() + timedelta(days=d):%Y-%m-%d}" for d in (4, 12))
    form = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert f": up to 2 (1 until {soon}, 1 until {late})" in form
    ask(shop_a, made, 1)
    with tenant_context(shop_a):
        order = load(shop_a, made.id)
        (item,) = services.returnable_lines(order)
        assert item.units == 1
        # Once the early parcel's window closes, the unit kept may be that parcel's: none.
        (later,) = services.returnable_lines(order, now=utcnow() + timedelta(days=5))
        assert later.units == 0


def test_delivery_restarts_the_window_and_refunds_count_against_unshipped_units(app_ctx, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=0, days_ago=40)
    with tenant_context(shop_a):
        order = load(shop_a, made.id)
        refund_order(
            order,
            RefundRequest(quantities={made.line_id: 1}, manual=True),
            actor_id=None,
            key=uuid4().hex,
        )
        ship(order, 1, days_ago=40)
        ship(order, 1, days_ago=35)
        db.session.commit()
        order = load(shop_a, made.id)
        assert order.status == "fulfilled"
        (item,) = services.returnable_lines(order)
        assert item.units == 0  # both windows (30 days from each parcel) closed
        assert mark_delivered(order, actor_id=None)
        db.session.commit()
        (item,) = services.returnable_lines(load(shop_a, made.id))
        assert item.units == 2 and item.until.date() == (utcnow() + timedelta(days=30)).date()


def test_one_request_per_form_and_the_reason_is_sealed(app_ctx, shop_a):
    made = shipped_order(shop_a)
    first, new = ask(shop_a, made, 1, key="a" * 32)
    again, new_again = ask(shop_a, made, 1, key="a" * 32)
    assert new and not new_again and again == first
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnRequest)) == 1
        raw = db.session.execute(sa.text("SELECT reason FROM return_requests")).scalar_one()
    assert b"Too small" not in bytes(raw)


def test_each_move_happens_once(app_ctx, shop_a):
    made = shipped_order(shop_a)
    request, _ = ask(shop_a, made, 1)
    with tenant_context(shop_a):
        found = services.get_return(request)
        assert services.approve(found, actor_id=None)
        assert not services.approve(found, actor_id=None)
        assert not services.refuse(found, message="No.", actor_id=None)
        assert services.receive_and_refund(found, restock=False, actor_id=None) is not None
        assert services.receive_and_refund(found, restock=False, actor_id=None) is None
        db.session.commit()
        assert found.status is ReturnStatus.REFUNDED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderRefund)) == 1


def test_the_refund_is_the_orders_and_restocking_moves_stock(app_ctx, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=3)
    request, _ = ask(shop_a, made, 2)
    with tenant_context(shop_a):
        order = load(shop_a, made.id)
        expected = plan_refund(order, RefundRequest(quantities={made.line_id: 2})).total
        before = scoped_get(Variant, made.variant_id).stock_quantity
        found = services.get_return(request)
        services.approve(found, actor_id=None)
        received = services.receive_and_refund(found, restock=True, actor_id=None)
        db.session.commit()
        refund = received.refund
        assert refund.amount == expected and received.already == ()
        assert found.refund_id == refund.id
        db.session.expire_all()
        assert scoped_get(Variant, made.variant_id).stock_quantity == before + 2
        assert load(shop_a, made.id).refunded_amount == expected


def test_a_returned_unit_leaves_the_unshipped_units_to_ship(app_ctx, shop_a):
    # 3 ordered, 2 shipped; 1 comes back and is refunded: the third still ships, and the unit
    # that came back cannot be asked for again.
    made = shipped_order(shop_a, quantity=3, shipped=2)
    request, _ = ask(shop_a, made, 1)
    with tenant_context(shop_a):
        found = services.get_return(request)
        services.approve(found, actor_id=None)
        services.receive_and_refund(found, restock=False, actor_id=None)
        db.session.commit()
        order = load(shop_a, made.id)
        line = order.lines[0]
        assert (line.quantity_refunded, line.quantity_returned) == (1, 1)
        assert left_to_ship(line) == 1
        assert order.status is OrderStatus.PARTIALLY_FULFILLED
        assert [item.units for item in services.returnable_lines(order)] == [1]
        ship(order, 1)
        db.session.commit()
        order = load(shop_a, made.id)
        assert order.status is OrderStatus.FULFILLED
        assert [item.units for item in services.returnable_lines(order)] == [2]


def test_a_refund_of_units_that_did_not_come_back_counts_against_unshipped_ones(app_ctx, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=2)
    with tenant_context(shop_a):
        order = load(shop_a, made.id)
        with pytest.raises(OrderError, match="only 2 shipped can come back"):
            plan_refund(order, RefundRequest(quantities={made.line_id: 3}, returned=True))
        refund_order(
            order, RefundRequest(quantities={made.line_id: 1}), actor_id=None, key="not-shipping"
        )
        db.session.commit()
        order = load(shop_a, made.id)
        assert left_to_ship(order.lines[0]) == 0
        assert order.status is OrderStatus.FULFILLED


def test_the_customer_asks_from_the_tracking_page_once(app_ctx, client, shop_a, no_csrf):
    made = shipped_order(shop_a)
    tracking = client.get(made.path).get_data(as_text=True)
    assert "Return items of this order" in tracking
    page = client.get(f"{made.path}/returns/new")
    assert page.status_code == 200
    key = uuid4().hex
    form = {"key": key, "reason": "Too small.", f"qty-{made.line_id}": "1"}
    assert client.post(f"{made.path}/returns/new", data=form).status_code == 303
    assert client.post(f"{made.path}/returns/new", data=form).status_code == 303
    bad = {"key": uuid4().hex, "reason": "x", f"qty-{made.line_id}": "lots"}
    assert client.post(f"{made.path}/returns/new", data=bad).status_code == 303
    assert client.post(f"{made.path}/returns/new", data={"key": uuid4().hex}).status_code == 422
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnRequest)) == 1
    assert client.get("/orders/not-a-token/returns/new").status_code == 404


@pytest.fixture
def staff_of_a(shop_a, make_user, sign_in):
    user = make_user("staff-a@example.com", name="Staff A")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


def test_the_shop_decides_and_a_stale_page_gets_a_message(
    app, app_ctx, client, shop_a, staff_of_a, no_csrf
):
    clear_outbox(app)
    made = shipped_order(shop_a)
    request, _ = ask(shop_a, made, 1)
    base = f"/shop/{shop_a.slug}/admin/returns"
    listing = client.get(f"{base}/")
    assert listing.status_code == 200
    page = client.get(f"{base}/{request}")
    assert page.status_code == 200 and "Too small." in page.get_data(as_text=True)
    assert client.post(f"{base}/{request}/approve").status_code == 303
    again = client.post(f"{base}/{request}/approve", follow_redirects=True)
    assert again.status_code == 200 and "nothing changed" in again.get_data(as_text=True)
    stale = client.post(f"{base}/{request}/refuse", data={"message": "No."}, follow_redirects=True)
    assert stale.status_code == 200 and "nothing changed" in stale.get_data(as_text=True)
    done = client.post(f"{base}/{request}/receive", data={"restock": "y"}, follow_redirects=True)
    assert done.status_code == 200 and "refunded" in done.get_data(as_text=True)
    assert client.get(f"{base}/policy").status_code == 200
    saved = client.post(
        f"{base}/policy", data={"window_days": "20", "payer": "shop", "text": "Boxed."}
    )
    assert saved.status_code == 303
    bad = client.post(f"{base}/policy", data={"window_days": "9999", "payer": "shop"})
    assert bad.status_code == 422


def test_shop_a_staff_get_404_on_shop_b_returns(
    app_ctx, client, shop_a, shop_b, staff_of_a, no_csrf
):
    made = shipped_order(shop_b)
    request, _ = ask(shop_b, made, 1)
    base = f"/shop/{shop_a.slug}/admin/returns"
    assert client.get(f"{base}/{request}").status_code == 404
    for action in ("approve", "refuse", "receive"):
        assert client.post(f"{base}/{request}/{action}").status_code == 404
    assert request.hex not in client.get(f"{base}/").get_data(as_text=True)
    with tenant_context(shop_b):
        assert services.get_return(request).status is ReturnStatus.REQUESTED


def test_the_data_export_holds_the_customers_returns_only(app_ctx, shop_a, make_user):
    from mall.returns.privacy import export_section

    buyer, other = make_user("buyer@example.com"), make_user("other@example.com")
    made = shipped_order(shop_a)
    with tenant_context(shop_a):
        load(shop_a, made.id).user_id = buyer.id
        db.session.commit()
    ask(shop_a, made, 1)
    with tenant_context(shop_a):
        (exported,) = export_section(buyer)
        assert exported["reason"] == "Too small." and exported["status"] == "requested"
        assert exported["items"][0]["quantity"] == 1
        assert export_section(other) == []
