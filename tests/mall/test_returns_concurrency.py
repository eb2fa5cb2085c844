"""Return requests sent at once for the same units of one order, on PostgreSQL (real commits,
real threads): the order's lock makes them take turns, so together they never name more
units than were shipped; the others get a clear message, never a 500 or a deadlock."""

from __future__ import annotations

import threading
from uuid import uuid4

import sqlalchemy as sa

from mall.extensions import db
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_token
from mall.returns import services
from mall.returns.errors import ReturnError
from mall.returns.models import ReturnLine
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.orders import place_order
from tests.support.committed import committed_app_fixture, needs_committed_pg

CUSTOMERS = 8
ORDERED, SHIPPED = 6, 5

pytestmark = needs_committed_pg  # SQLite writes one at a time: nothing to race
committed_app = committed_app_fixture(WTF_CSRF_ENABLED=False)


def partly_shipped(app) -> tuple:
    """A paid order of a new shop, ``SHIPPED`` of its ``ORDERED`` units sent (committed):
    (shop id, order id, line id, tracking path)."""
    with app.app_context():
        suffix = uuid4().hex[:8]
        shop = create_shop(f"returns-{suffix}", name="Busy Returns", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            order = place_order(shop, quantity=ORDERED)
            assert mark_order_paid(order)
            line_id = order.lines[0].id
            create_shipment(
                order,
                quantities={line_id: SHIPPED},
                carrier="ups",
                request_key=uuid4().hex,
                actor_id=None,
            )
            made = shop.id, order.id, line_id
            path = f"/orders/{tracking_token(order)}/returns/new"
        db.session.commit()
        return (*made, path)


def requested_units(app, shop_id) -> int:
    """The units named by the return requests of the shop (one order: the test's)."""
    with app.app_context(), tenant_context(shop_id):
        total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ReturnLine.quantity), 0)))
        return int(total or 0)


def test_parallel_requests_from_the_form_name_exactly_the_shipped_units(committed_app):
    shop_id, _, line_id, path = partly_shipped(committed_app)
    start = threading.Barrier(CUSTOMERS)
    statuses, shown, errors = [], [], []

    def customer(n: int) -> None:
        try:
            client = committed_app.test_client()
            # Each its own address: the form's rate limit is per IP.
            environ = {"REMOTE_ADDR": f"198.51.100.{n + 1}"}
            form = {"key": uuid4().hex, "reason": "Too small.", f"qty-{line_id}": "1"}
            start.wait()
            sent = client.post(path, data=form, environ_base=environ)
            statuses.append(sent.status_code)
            shown.append(client.get(sent.headers["Location"], environ_base=environ).text)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and statuses == [303] * CUSTOMERS
    made = [page for page in shown if "Your return request is sent." in page]
    refused = [page for page in shown if "cannot be returned now." in page]
    assert (len(made), len(refused)) == (SHIPPED, CUSTOMERS - SHIPPED)
    assert requested_units(committed_app, shop_id) == SHIPPED


def test_parallel_requests_for_more_than_is_left_are_told_how_many(committed_app):
    shop_id, order_id, line_id, _ = partly_shipped(committed_app)
    start = threading.Barrier(CUSTOMERS)
    made, refused, errors = [], [], []

    def customer() -> None:
        try:
            with committed_app.app_context(), tenant_context(shop_id):
                order = scoped_get(Order, order_id)
                start.wait()
                try:
                    services.request_return(
                        order, quantities={line_id: 2}, reason="Chipped.", key=uuid4().hex
                    )
                    db.session.commit()
                    made.append(1)
                except ReturnError as error:
                    db.session.rollback()
                    refused.append(str(error))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=customer) for _ in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # Five shipped, two each: two requests take four; every other is told one is left.
    assert len(made) == 2
    assert len(refused) == CUSTOMERS - 2
    assert all("at most 1 can be returned" in message for message in refused)
    assert requested_units(committed_app, shop_id) == 4
    with committed_app.app_context(), tenant_context(shop_id):
        order = scoped_get(Order, order_id)
        services.request_return(order, quantities={line_id: 1}, reason="Chipped.", key="z" * 32)
        db.session.commit()
    assert requested_units(committed_app, shop_id) == SHIPPED
