"""Delivery defects found on a second test round (issue 12): the downloads link dies with the
tracking link, an order owed a licence key is not "fulfilled", giving a refunded line again owes
its key, the refusal pages link to the shop's contact page, one limit for extensions, another
shop's host serves no downloads, and resumed downloads (Range) are not counted again."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask import current_app
from itsdangerous import URLSafeSerializer

from mall.db import utcnow
from mall.delivery import staff
from mall.delivery.errors import DeliveryError
from mall.delivery.models import DownloadGrant
from mall.delivery.tokens import ORDER_SALT
from mall.extensions import db
from mall.orders.jobs import send_new_order_email
from mall.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from mall.orders.tracking import tracking_link
from tenants.context import tenant_context
from tenants.services import add_domain
from tests.mall.test_delivery_admin import ADMIN, extend
from tests.mall.test_delivery_fixes import first_link, refund_units, used_and_logged
from tests.mall.test_delivery_keys import csv_of, import_into, issued_values
from tests.support.delivery import (
    digital_product,
    file_links,
    order_page_link,
    paid_order,
    pay,
    the_grant,
    unpaid_order,
)
from tests.support.mail import clear_outbox, sent, text_of


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def digital_order(shop, variant_id, *, quantity: int) -> object:
    """A paid order with nothing to ship, as the checkout makes one for a digital product."""
    order_id = unpaid_order(shop, variant_id, quantity=quantity)
    with tenant_context(shop):
        db.session.execute(sa.update(OrderLine).values(requires_shipping=False))
        db.session.execute(sa.update(Order).values(needs_shipping=False))
        db.session.commit()
    pay(shop, order_id)
    return order_id


def order_of(shop, order_id) -> Order:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.get(Order, (shop.id, order_id))


def tracking_path(shop, order_id) -> str:
    with tenant_context(shop):
        return tracking_link(order_of(shop, order_id)).split("://", 1)[1].split("/", 1)[1]


def set_grant(shop, order_id, **values) -> None:
    with tenant_context(shop):
        db.session.execute(
            sa.update(DownloadGrant).where(DownloadGrant.order_id == order_id).values(**values)
        )
        db.session.commit()


def fulfilled_events(shop, order_id) -> int:
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.kind == "fulfilled"
            )
        )


# ---------------------------------------------------------------- 1. revoked with the tracking link


def test_a_new_tracking_link_also_retires_the_old_downloads_link(
    client, shop_a, member_of_a, no_csrf
):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    old = order_page_link(shop_a, order_id)
    assert client.get(old).status_code == 200

    url = f"{ADMIN}/orders/{order_id}/tracking-link"
    assert client.post(url, data={"version": "1"}).status_code == 303

    refused = client.get(old)
    assert refused.status_code == 404 and "This link is not valid" in refused.get_data(True)
    fresh = order_page_link(shop_a, order_id)
    assert fresh != old
    page = client.get(fresh)
    assert page.status_code == 200 and file_links(page.get_data(as_text=True))
    tracking = client.get("/" + tracking_path(shop_a, order_id)).get_data(as_text=True)
    assert fresh in tracking and old not in tracking  # the tracking page offers the new one


def test_a_link_sent_before_versions_works_until_the_first_renewal(
    app, client, shop_a, member_of_a, no_csrf
):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    with app.test_request_context():
        legacy = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ORDER_SALT).dumps(
            [shop_a.id.hex, order_id.hex]
        )
    assert client.get(f"/downloads/order/{legacy}").status_code == 200
    client.post(f"{ADMIN}/orders/{order_id}/tracking-link", data={"version": "1"})
    assert client.get(f"/downloads/order/{legacy}").status_code == 404


# ---------------------------------------------------------------- 2. an order owed a key


def test_an_order_owed_a_key_waits_with_a_clear_state_until_keys_come(
    app, client, shop_a, member_of_a
):
    font = digital_product(shop_a, title="Key Font")
    import_into(shop_a, font.variant_id, csv_of(*[f"KEY-{n}" for n in range(7)]))
    order_id = digital_order(shop_a, font.variant_id, quantity=8)

    assert order_of(shop_a, order_id).status is OrderStatus.PAID
    listing = client.get(f"{ADMIN}/orders/").get_data(as_text=True)
    assert "Waiting for a licence key" in listing
    page = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Waiting for a licence key" in page
    tracking = client.get("/" + tracking_path(shop_a, order_id)).get_data(as_text=True)
    assert "Waiting for a licence key" in tracking and "Complete" not in tracking
    assert "Everything in the order has been sent or is ready" not in tracking

    clear_outbox(app)
    send_new_order_email(str(shop_a.id), str(order_id))
    (mail,) = sent(app)
    assert "Waiting for a licence key" in text_of(mail)
    assert "prepare it for shipping" not in text_of(mail)

    import_into(shop_a, font.variant_id, csv_of("KEY-LATE"))
    assert order_of(shop_a, order_id).status is OrderStatus.FULFILLED
    tracking = client.get("/" + tracking_path(shop_a, order_id)).get_data(as_text=True)
    assert "Complete" in tracking and "Waiting for a licence key" not in tracking
    import_into(shop_a, font.variant_id, csv_of("KEY-SPARE"))  # no one waits: nothing moves
    assert fulfilled_events(shop_a, order_id) == 1


def test_a_digital_order_with_its_keys_is_fulfilled_at_payment(app, shop_a, member_of_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("ONE", "TWO"))
    order_id = digital_order(shop_a, font.variant_id, quantity=2)
    assert order_of(shop_a, order_id).status is OrderStatus.FULFILLED
    clear_outbox(app)
    send_new_order_email(str(shop_a.id), str(order_id))
    (mail,) = sent(app)
    assert "nothing to ship" in text_of(mail) and "prepare it for shipping" not in text_of(mail)


def test_refunding_the_units_owed_a_key_lets_the_order_complete(shop_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("ONLY-ONE"))
    order_id = digital_order(shop_a, font.variant_id, quantity=2)
    assert order_of(shop_a, order_id).status is OrderStatus.PAID
    refund_units(shop_a, order_id, 1)
    assert order_of(shop_a, order_id).status is OrderStatus.FULFILLED
    assert fulfilled_events(shop_a, order_id) == 1


# ---------------------------------------------------------------- 3. given again: owes its key


def test_giving_a_refunded_line_again_owes_its_key_and_delivers_it(
    client, shop_a, member_of_a, no_csrf
):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("FIRST-KEY"))
    order_id = paid_order(shop_a, font.variant_id)
    refund_units(shop_a, order_id, 1)
    line_id = the_grant(shop_a, order_id).order_line_id
    prefix = f"regrant-{line_id.hex}"
    response = client.post(
        f"{ADMIN}/delivery/lines/{line_id}/regrant",
        data={f"{prefix}-key": uuid4().hex, f"{prefix}-days": "", f"{prefix}-refunded_ok": "y"},
    )
    assert response.status_code == 303
    page = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Waiting for 1 key" in page
    downloads = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "Waiting for a key" in downloads

    import_into(shop_a, font.variant_id, csv_of("SECOND-KEY"))
    assert issued_values(shop_a, order_id) == ["SECOND-KEY"]
    downloads = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "SECOND-KEY" in downloads and "Waiting for a key" not in downloads
    assert "FIRST-KEY" not in downloads


# ---------------------------------------------------------------- 4. refusals link to the shop


@pytest.mark.parametrize(
    ("change", "code"),
    [({"download_limit": 1}, 403), ({"expires_at": utcnow() - timedelta(days=1)}, 410)],
)
def test_the_limit_and_expiry_pages_link_to_the_shops_contact_page(client, shop_a, change, code):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    link = first_link(client, shop_a, order_id)
    if "download_limit" in change:
        assert client.get(link).status_code == 200
    set_grant(shop_a, order_id, **change)
    refused = client.get(link)
    assert refused.status_code == code
    assert 'href="/shop/shop-a/contact/"' in refused.get_data(as_text=True)


# ---------------------------------------------------------------- 5. one limit for extensions


def test_the_extend_form_and_service_share_one_limit_and_sentence(
    client, shop_a, member_of_a, no_csrf
):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    grant = the_grant(shop_a, order_id)
    until = grant.expires_at
    assert extend(client, grant.order_line_id, days="3651", key="c" * 32).status_code == 303
    page = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert staff.EXTEND_DAYS_MESSAGE == "Add from 0 to 3,650 days at a time."
    assert f"Days to add: {staff.EXTEND_DAYS_MESSAGE}" in page
    line_hex = grant.order_line_id.hex
    assert f'max="3650" min="0" name="extend-{line_hex}-days"' in page
    with tenant_context(shop_a), pytest.raises(DeliveryError) as caught:
        staff.extend_grant(
            db.session.get(DownloadGrant, (shop_a.id, grant.id)),
            days=3651,
            downloads=0,
            actor_id=None,
            key="d" * 32,
        )
    assert str(caught.value) == staff.EXTEND_DAYS_MESSAGE
    assert extend(client, grant.order_line_id, days="3650", key="e" * 32).status_code == 303
    assert the_grant(shop_a, order_id).expires_at > until + timedelta(days=3649)


# ---------------------------------------------------------------- 6. another shop's host


def test_another_shops_host_serves_no_downloads(client, shop_a, shop_b):
    add_domain(shop_a, "copper-kettle.example")
    db.session.commit()
    font = digital_product(shop_b)
    order_id = paid_order(shop_b, font.variant_id)
    page = order_page_link(shop_b, order_id)
    link = first_link(client, shop_b, order_id)
    for host in ("copper-kettle.example", "shop-a.mall.test"):
        assert client.get(page, headers={"Host": host}).status_code == 404
        assert client.get(link, headers={"Host": host}).status_code == 404
    assert used_and_logged(shop_b, order_id) == (0, 0)
    assert client.get(page, headers={"Host": "shop-b.mall.test"}).status_code == 200
    assert client.get(page).status_code == 200  # the mall's own host serves every shop's


# ---------------------------------------------------------------- 7. ranges


def test_a_range_from_the_start_counts_and_its_resume_does_not(client, shop_a):
    font = digital_product(shop_a)
    (_, data), *_ = font.files
    order_id = paid_order(shop_a, font.variant_id)
    set_grant(shop_a, order_id, download_limit=1)
    link = first_link(client, shop_a, order_id)

    start = client.get(link, headers={"Range": "bytes=0-9"})
    assert start.status_code == 206 and start.data == data[:10]
    assert start.headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    assert used_and_logged(shop_a, order_id) == (1, 1)

    rest = client.get(link, headers={"Range": "bytes=10-"})  # at the limit, still resumable
    assert rest.status_code == 206 and rest.data == data[10:]
    assert used_and_logged(shop_a, order_id) == (1, 1)

    again = client.get(link)  # a new download from the start: the limit applies
    assert again.status_code == 403
    page = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "resuming it within 24 hours does not use another" in page


def test_a_range_past_the_start_with_no_recent_download_counts(client, shop_a):
    font = digital_product(shop_a)
    (_, data), *_ = font.files
    order_id = paid_order(shop_a, font.variant_id)
    link = first_link(client, shop_a, order_id)
    tail = client.get(link, headers={"Range": "bytes=5-"})
    assert tail.status_code == 206 and tail.data == data[5:]
    assert used_and_logged(shop_a, order_id) == (1, 1)


def test_under_x_accel_the_server_serves_ranges_and_the_rule_holds(
    app, client, shop_a, monkeypatch
):
    monkeypatch.setitem(app.config, "DOWNLOAD_ACCEL", "x-accel-redirect")
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    link = first_link(client, shop_a, order_id)
    first = client.get(link)
    assert first.headers["X-Accel-Redirect"].startswith("/protected-files/")
    resumed = client.get(link, headers={"Range": "bytes=20-"})
    assert "X-Accel-Redirect" in resumed.headers
    assert used_and_logged(shop_a, order_id) == (1, 1)
    client.get(link)  # from the start again: a second download
    assert used_and_logged(shop_a, order_id) == (2, 2)
