"""Order entry as a tester found it, fixed: an invoice for stock the shop has not got is
not issued (staff are warned per line), and one whose stock ran out after it was issued
still records a bank transfer ("paid — out of stock") while the customer is told the shop
will contact them; a repeated conversion names the invoice it became; the order's
timeline names the invoice and who entered it; a voided invoice's link says so (410);
voiding asks once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.extensions import db
from mall.orders.entry.lifecycle import accept_quote, void_document
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.services import get_sales_document
from mall.orders.entry.tokens import pay_token
from mall.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from mall.orders.refunds import RefundRequest, refund_order
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.mall import test_entry_documents as entry
from tests.mall.test_entry_documents import enter, form, issued, member, typed
from tests.support.mail import clear_outbox, sent_to, text_of
from tests.support.tokens import tampered

goods = entry.goods
no_csrf = entry.no_csrf
BASE = "/shop/shop-a/admin/sales"


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = member(shop_a, make_user, Role.OWNER, "owner@example.com")
    sign_in(user)
    return user


def set_stock(shop, goods, quantity: int) -> None:
    """Move the teapot's stock to ``quantity`` (an adjustment, committed)."""
    with tenant_context(shop):
        variant = db.session.get(Variant, (shop.id, goods.variant_id))
        db.session.refresh(variant)
        delta = quantity - variant.stock_quantity
        if delta:
            adjust_stock(variant, delta, reason=StockReason.ADJUSTMENT, note="count")
        db.session.commit()


def stock_of(shop, goods) -> int:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.get(Variant, (shop.id, goods.variant_id)).stock_quantity


def the_document(shop, document_id) -> SalesDocument:
    with tenant_context(shop):
        db.session.expire_all()
        return get_sales_document(document_id)


def orders_of(shop) -> list[SimpleNamespace]:
    """The shop's orders as plain values (readable after later commits)."""
    with tenant_context(shop):
        db.session.expire_all()
        return [
            SimpleNamespace(
                id=order.id,
                status=order.status,
                payment_status=order.payment_status,
                paid_at=order.paid_at,
                total=order.total,
            )
            for order in db.session.scalars(sa.select(Order))
        ]


def issued_invoice(shop, goods, **line) -> tuple:
    """An issued invoice of ``shop`` for 2 teapots: (id, token)."""
    with tenant_context(shop):
        document = issued(shop, goods, **line)
        return document.id, pay_token(document)


# ---------------------------------------------------------------- 1. stock before issuing


def test_the_preview_warns_per_line_and_issuing_is_refused_without_the_stock(
    client, owner, goods, shop_a, no_csrf
):
    set_stock(shop_a, goods, 1)
    preview = client.post(f"{BASE}/new", data=form(goods.sku, "3", action="preview"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Only 1 in stock" in html
    assert "cannot be issued until you change the quantity or receive stock" in html
    refused = client.post(f"{BASE}/new", data=form(goods.sku, "3", action="issue"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'id="quantity-0-errors"' in html and "only 1 of" in html and "receive stock" in html
    assert 'value="3"' in html  # what was typed stays
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesDocument)) == 0
    # Within the stock it is issued as before.
    assert client.post(f"{BASE}/new", data=form(goods.sku, "1", action="issue")).status_code == 303


def test_a_draft_short_of_stock_is_flagged_and_not_issued_from_its_page(
    client, owner, goods, shop_a, no_csrf
):
    saved = client.post(f"{BASE}/new", data=form(goods.sku, "2", action="draft"))
    assert saved.status_code == 303
    set_stock(shop_a, goods, 0)
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Only 0 in stock" in page and "cannot be issued" in page
    sales_id = saved.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    issue = client.post(f"{BASE}/{sales_id}/send", follow_redirects=True)
    html = issue.get_data(as_text=True)
    assert "Not issued: only 0 of" in html and "receive stock first" in html
    assert the_document(shop_a, sales_id).status is SalesStatus.DRAFT
    set_stock(shop_a, goods, 5)
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "in stock</span>" not in page
    assert client.post(f"{BASE}/{sales_id}/send").status_code == 303
    assert the_document(shop_a, sales_id).status is SalesStatus.SENT


def test_an_untracked_or_backordered_item_is_issued_beyond_its_stock(goods, shop_a):
    from mall.orders.entry.lifecycle import send_document

    with tenant_context(shop_a):
        variant = db.session.get(Variant, (shop_a.id, goods.variant_id))
        variant.allow_backorder = True
        db.session.commit()
        document = enter(shop_a, typed(goods.sku, quantity=50))
        send_document(document, actor_id=None)
        db.session.commit()
        assert document.status is SalesStatus.SENT and document.number


# ---------------------------------------------------------------- 1. stock gone after issue


def test_the_customer_cannot_pay_once_stock_ran_out_and_the_shop_is_told(
    app, client, goods, shop_a, make_user, no_csrf
):
    member(shop_a, make_user, Role.OWNER, "boss@example.com")
    document_id, token = issued_invoice(shop_a, goods)
    set_stock(shop_a, goods, 0)
    clear_outbox(app)
    response = client.post(f"/pay/{token}", data={"method": "test"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "can&#39;t be paid online right now; Shop A has been told and will contact you" in html
    assert "Only 0 of" not in html and "change the quantity" not in html
    assert orders_of(shop_a) == []
    document = the_document(shop_a, document_id)
    assert document.status is SalesStatus.SENT and document.order_id is None
    (told,) = sent_to(app, "boss@example.com")
    assert document.number in told["Subject"] and "out of stock" in told["Subject"]
    assert "Only 0 of" in text_of(told) and "ada@example.com" not in text_of(told)
    assert sent_to(app, "ada@example.com") == []
    # Stock received: the same link pays.
    set_stock(shop_a, goods, 5)
    client.post(f"/pay/{token}", data={"method": "test"})
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID and stock_of(shop_a, goods) == 3


def test_staff_still_record_a_bank_transfer_as_paid_out_of_stock(
    app, client, owner, goods, shop_a, no_csrf
):
    document_id, token = issued_invoice(shop_a, goods)
    set_stock(shop_a, goods, 0)
    clear_outbox(app)
    response = client.post(f"{BASE}/{document_id}/mark-paid", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is paid, but its stock ran out" in html and "paid — out of stock" in html
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID_OUT_OF_STOCK
    assert order.payment_status is PaymentStatus.PAID and order.paid_at is not None
    assert order.total == the_document(shop_a, document_id).total
    document = the_document(shop_a, document_id)
    assert document.status is SalesStatus.PAID and document.order_id == order.id
    assert document.paid_method == "bank_transfer"
    assert stock_of(shop_a, goods) == 0  # never below zero
    timeline = client.get(f"/shop/shop-a/admin/orders/{order.id}").get_data(as_text=True)
    assert "bank transfer is recorded, but its stock ran out" in timeline
    assert sent_to(app, "owner@example.com")  # the shop's new-order email
    again = client.post(f"{BASE}/{document_id}/mark-paid", follow_redirects=True)
    assert "was already paid: nothing changed" in again.get_data(as_text=True)
    assert len(orders_of(shop_a)) == 1
    # The customer's page shows it paid, not an error.
    assert "Paid" in client.get(f"/pay/{token}").get_data(as_text=True)
    # Staff give the money back from the order, as for a web order short of stock.
    with tenant_context(shop_a):
        short = db.session.get(Order, (shop_a.id, order.id))
        whole = {line.id: line.quantity for line in short.lines}
        wanted = RefundRequest(
            quantities=whole,
            shipping=short.total - sum(line.total for line in short.lines),  # tax included
            manual=True,
            reason="Out of stock",
        )
        refund_order(short, wanted, actor_id=None, key="oos")
        db.session.commit()
    (order,) = orders_of(shop_a)
    assert order.payment_status is PaymentStatus.REFUNDED


def test_a_transfer_recorded_with_part_of_the_stock_holds_what_is_there(
    client, owner, goods, shop_a, no_csrf
):
    document_id, _ = issued_invoice(shop_a, goods)
    set_stock(shop_a, goods, 1)  # two on the invoice
    client.post(f"{BASE}/{document_id}/mark-paid")
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID_OUT_OF_STOCK
    assert stock_of(shop_a, goods) == 1  # nothing taken for a line it cannot fill


# ---------------------------------------------------------------- 2. converting again


def test_converting_a_quote_again_names_the_invoice_it_became(
    client, owner, goods, shop_a, no_csrf
):
    with tenant_context(shop_a):
        quote = enter(shop_a, typed(goods.sku, kind=SalesKind.QUOTE))
        accept_quote(quote, actor_id=None)
        db.session.commit()
        quote_id, quote_number = quote.id, quote.number
    first = client.post(f"{BASE}/{quote_id}/convert", follow_redirects=True)
    assert "Invoice draft made from the quote" in first.get_data(as_text=True)
    second = client.post(f"{BASE}/{quote_id}/convert", follow_redirects=True)
    html = second.get_data(as_text=True)
    assert "Invoice draft made" not in html
    assert f"Quote {quote_number} was already turned into an invoice draft" in html
    with tenant_context(shop_a):
        invoice = db.session.scalar(
            sa.select(SalesDocument).where(SalesDocument.quote_id == quote_id)
        )
        invoice_id = invoice.id
    assert f'href="{BASE}/{invoice_id}"' in html  # the quote's page links to it
    client.post(f"{BASE}/{invoice_id}/send")
    number = the_document(shop_a, invoice_id).number
    third = client.post(f"{BASE}/{quote_id}/convert", follow_redirects=True)
    assert f"Quote {quote_number} was already turned into invoice {number}" in third.get_data(
        as_text=True
    )
    with tenant_context(shop_a):
        made = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SalesDocument)
            .where(SalesDocument.kind == SalesKind.INVOICE)
        )
    assert made == 1


# ---------------------------------------------------------------- 3. the order's timeline


def test_the_order_from_an_invoice_says_so_and_who_entered_it(
    client, goods, shop_a, make_user, sign_in, no_csrf
):
    rep = make_user("rep@example.com", name="Rita Rep")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    with tenant_context(shop_a):
        document = issued(shop_a, goods)
        document.entered_by_id = rep.id
        db.session.commit()
        token, number = pay_token(document), document.number
    client.post(f"/pay/{token}", data={"method": "test"})
    (order,) = orders_of(shop_a)
    with tenant_context(shop_a):
        placed = db.session.scalar(
            sa.select(OrderEvent).where(
                OrderEvent.order_id == order.id, OrderEvent.kind == "placed"
            )
        )
        assert placed.actor_id == rep.id
        assert f"placed from invoice {number}, entered by staff" in placed.message
        assert "Rita" not in placed.message  # the name is shown from the member, not copied
    sign_in(member(shop_a, make_user, Role.OWNER))
    page = client.get(f"/shop/shop-a/admin/orders/{order.id}").get_data(as_text=True)
    assert f"placed from invoice {number}" in page and "by Rita Rep" in page
    assert "placed. </div>" not in page


# ---------------------------------------------------------------- 4. a voided invoice's link


def test_a_voided_invoices_link_says_the_shop_cancelled_it(client, goods, shop_a, no_csrf):
    document_id, token = issued_invoice(shop_a, goods)
    with tenant_context(shop_a):
        assert void_document(get_sales_document(document_id), actor_id=None)
        db.session.commit()
        current = pay_token(get_sales_document(document_id))
    for link in (token, current):
        page = client.get(f"/pay/{link}")
        html = page.get_data(as_text=True)
        assert page.status_code == 410
        assert "Shop A cancelled this invoice" in html and "contact Shop A" in html
        assert "ada@example.com" not in html and "Ada" not in html and "Grace" not in html
        assert page.headers["Cache-Control"] == "no-store"
    assert client.post(f"/pay/{token}", data={"method": "test"}).status_code == 410
    assert client.get(f"/pay/{tampered(token)}").status_code == 404
    assert client.get(f"/pay/{token}", headers={"Host": "shop-b.mall.test"}).status_code == 404
    assert orders_of(shop_a) == []


# ---------------------------------------------------------------- 5. void asks once


def test_void_needs_its_confirmation_ticked(client, owner, goods, shop_a, no_csrf):
    document_id, token = issued_invoice(shop_a, goods)
    number = the_document(shop_a, document_id).number
    page = client.get(f"{BASE}/{document_id}").get_data(as_text=True)
    assert f"Yes, void invoice {number}" in page and 'name="confirm"' in page
    unticked = client.post(f"{BASE}/{document_id}/void")
    html = unticked.get_data(as_text=True)
    assert unticked.status_code == 400
    assert f"Tick “Yes, void invoice {number}” to void it." in html
    assert the_document(shop_a, document_id).status is SalesStatus.SENT
    assert client.get(f"/pay/{token}").status_code == 200
    wrong = client.post(f"{BASE}/{document_id}/void", data={"confirm": "no\x00"})
    assert wrong.status_code == 400
    ticked = client.post(f"{BASE}/{document_id}/void", data={"confirm": "yes"})
    assert ticked.status_code == 303
    assert the_document(shop_a, document_id).status is SalesStatus.VOID
    again = client.post(f"{BASE}/{document_id}/void", follow_redirects=True)
    assert "was already void: nothing changed" in again.get_data(as_text=True)
