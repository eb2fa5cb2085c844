"""What customers and owners read about an order's money and its digital items: totals that add
up on the tracking page and in the emails (tax added on top, or held in the prices), and no
shipping or return talk for digital products."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders.models import Order
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_link
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.delivery import digital_product
from tests.support.mail import clear_outbox, sent_to, text_of
from tests.support.shopping import ADDRESS, add_to_cart, place

MONEY = r"\$([\d,]+\.\d\d)"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def cents(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def placed(shop, *, inclusive: bool, digital: bool = False) -> Order:
    """A paid order of 2 x $12.50 less $1.00, $5.00 shipping, 10 % tax: added on top ($2.40),
    or held in the prices ($2.18); committed, in ``shop``'s context."""
    order = place_order(shop)
    line = order.lines[0]
    if inclusive:
        line.tax = 218  # 2400 * 10/110
        line.total = line.subtotal - 100
        order.tax, order.prices_include_tax = 218, True
        order.total = line.total + order.shipping_amount
    if digital:
        line.requires_shipping, order.needs_shipping = False, False
        order.total -= order.shipping_amount
        order.shipping_amount = 0
    assert mark_order_paid(order, note="Paid.")
    db.session.commit()
    return order


def tracking_html(client, order: Order) -> str:
    return client.get(re.sub(r"^https?://[^/]+", "", tracking_link(order))).get_data(as_text=True)


def rows_of(html: str) -> tuple[int, list[tuple[str, int]], int]:
    """(sum of the item rows, the rows between the items and the total, the total)."""
    items = sum(cents(x) for x in re.findall(r'data-label="Total" class="text-end">' + MONEY, html))
    totals = html.split('id="order-totals"')[1].split("</dl>")[0]
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>([^<]*)</dd>", totals, re.S)
    before, total = [], None
    for label, value in pairs:
        amount = cents(re.search(MONEY, value).group(1)) * (-1 if "\u2212" in value else 1)
        if label.strip() == "Total":
            total = amount
            break
        before.append((label.strip(), amount))
    return items, before, total


@pytest.mark.parametrize("inclusive", [False, True])
def test_the_tracking_page_rows_add_up_to_the_total(client, shop_a, inclusive):
    with tenant_context(shop_a):
        order = placed(shop_a, inclusive=inclusive)
        html = tracking_html(client, order)
        items, rows, total = rows_of(html)
        assert total == order.total
        assert items + sum(amount for _, amount in rows) == total
    if inclusive:
        assert "of which tax (included in the prices)" in html and "$2.18" in html
        assert "Tax" not in [label for label, _ in rows]
    else:
        assert ("Tax", 240) in rows and "of which tax" not in html


@pytest.mark.parametrize("inclusive", [False, True])
def test_the_new_order_email_adds_up_and_says_when_tax_is_included(
    app, shop_a, make_user, inclusive
):
    owner = make_user("owner@shop-a.example", name="Olga Owner")
    db.session.add(Membership(user_id=owner.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    clear_outbox(app)
    with tenant_context(shop_a):
        order = placed(shop_a, inclusive=inclusive)
        notify_shop_of_order(order)
        db.session.commit()
    (message,) = sent_to(app, owner.email)
    body = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    for text in (body, html):
        assert "(included)" not in text
        if inclusive:
            assert "of which tax (included in the prices)" in text and "$2.18" in text
        else:
            assert "of which tax" not in text and "$2.40" in text
    after_total = body.split("Total: $")[1]
    assert ("of which tax" in after_total) is inclusive


def test_a_digital_order_email_says_delivered_not_prepare_for_shipping(app, shop_a, make_user):
    owner = make_user("owner@shop-a.example", name="Olga Owner")
    db.session.add(Membership(user_id=owner.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    clear_outbox(app)
    with tenant_context(shop_a):
        order = placed(shop_a, inclusive=False, digital=True)
        notify_shop_of_order(order)
        db.session.commit()
    (message,) = sent_to(app, owner.email)
    body = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    for text in (body, html):
        assert "prepare it for shipping" not in text
        assert "nothing to ship" in text
        assert "delivered to the customer automatically" in text


def test_a_digital_product_says_nothing_about_return_shipping(client, shop_a):
    font = digital_product(shop_a)
    with tenant_context(shop_a):
        from mall.catalog.models import Product

        slug = db.session.scalars(sa.select(Product.slug).where(Product.id == font.product_id))
        slug = slug.one()
    html = client.get(f"/shop/{shop_a.slug}/products/{slug}").get_data(as_text=True)
    policy = re.search(r'id="return-policy">(.*?)</p>', html, re.S).group(1)
    assert "shipping" not in policy and "days" not in policy
    assert "cannot be returned" in policy


def test_a_digital_only_order_offers_no_return(client, shop_a, no_csrf):
    font = digital_product(shop_a)
    add_to_cart(client, font.variant_id)
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    client.post("/checkout/address", data=ADDRESS)
    client.post("/checkout/payment", data={"method": "test"})
    place(client, client.get("/checkout/review").get_data(as_text=True))
    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        assert not order.needs_shipping
        html = tracking_html(client, order)
    assert "Return items" not in html
