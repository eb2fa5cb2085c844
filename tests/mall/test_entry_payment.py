"""Paying an invoice makes exactly one normal order: the agreed prices on its lines, one
set of ledger entries, one invoice (the one issued), stock taken, the tracking link; a
second click, a double "mark paid" or a replayed payment event change nothing."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.checkout.completion import complete_checkout
from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.ledger.models import LedgerEntry
from mall.orders.entry.errors import EntryError
from mall.orders.entry.lifecycle import void_document
from mall.orders.entry.models import SalesDocument, SalesStatus
from mall.orders.entry.payment import mark_paid_by_transfer
from mall.orders.entry.services import get_sales_document
from mall.orders.entry.tokens import pay_token
from mall.orders.models import Order, OrderStatus
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import get_order
from mall.payments.models import Payment
from mall.shops.models import Role
from mall.signals import order_paid
from tenants.context import all_tenants, tenant_context
from tests.mall import test_entry_documents as entry
from tests.mall.test_entry_documents import issued, member
from tests.support import stripe_checkout as stripe
from tests.support.tokens import tampered

goods = entry.goods
no_csrf = entry.no_csrf


def orders_of(shop) -> list[SimpleNamespace]:
    """The shop's orders as plain values (readable after later commits)."""
    with tenant_context(shop):
        db.session.expire_all()
        return [
            SimpleNamespace(
                id=order.id,
                status=order.status,
                total=order.total,
                tax=order.tax,
                payment_method=order.payment_method,
                entered_by_id=order.entered_by_id,
                checkout_id=order.checkout_id,
                lines=[
                    (line.unit_price, line.quantity, line.discount_shop) for line in order.lines
                ],
            )
            for order in db.session.scalars(sa.select(Order).order_by(Order.placed_at))
        ]


def entries() -> int:
    with all_tenants("test: count ledger entries"):
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0)


def invoices_of(shop) -> list[Invoice]:
    with tenant_context(shop):
        return list(
            db.session.scalars(sa.select(Invoice).where(Invoice.kind == DocumentKind.INVOICE))
        )


def document_of(shop, document_id) -> SalesDocument:
    with tenant_context(shop):
        db.session.expire_all()
        return get_sales_document(document_id)


@pytest.fixture
def invoice(goods, shop_a, make_user):
    """An issued invoice of shop A for 2 teapots at 9.00 (agreed) less 1.00, entered by a rep."""
    rep = member(shop_a, make_user, Role.SALES_REP)
    with tenant_context(shop_a):
        document = issued(
            shop_a,
            goods,
            unit_price=900,
            price_reason="Trade price",
            discount=100,
            discount_reason="Phone order",
        )
        document.entered_by_id = rep.id
        db.session.commit()
        return document.id, pay_token(document), rep.id


def test_paying_on_the_pay_page_makes_one_order_with_the_agreed_prices(
    client, invoice, shop_a, goods, no_csrf
):
    document_id, token, rep_id = invoice
    before = entries()
    page = client.get(f"/pay/{token}")
    assert page.status_code == 200 and "Test payment" in page.get_data(as_text=True)
    response = client.post(f"/pay/{token}", data={"method": "test"})
    assert response.status_code == 303
    again = client.post(f"/pay/{token}", data={"method": "test"})  # a second click
    assert again.status_code == 303
    (order,) = orders_of(shop_a)
    with tenant_context(shop_a):
        assert order.status is OrderStatus.PAID and order.entered_by_id == rep_id
        assert order.lines == [(900, 2, 100)]
        document = document_of(shop_a, document_id)
        assert order.total == document.total and order.tax == document.tax
        assert document.status is SalesStatus.PAID and document.order_id == order.id
        assert document.paid_method == "test"
        variant = db.session.get(Variant, (shop_a.id, goods.variant_id))
        assert variant.stock_quantity == 8
    (frozen,) = invoices_of(shop_a)  # the order's own "paid" invoice was not issued again
    assert frozen.order_id == order.id and frozen.number == document.number
    assert entries() > before
    paid_entries = entries()
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "Paid" in page and "/orders/" in page  # the tracking link
    # Replays of the payment's events change nothing.
    assert not complete_checkout(order.checkout_id)
    with tenant_context(shop_a):
        order_paid.send(get_order(order.id))
    assert entries() == paid_entries and len(orders_of(shop_a)) == 1
    assert len(invoices_of(shop_a)) == 1
    with all_tenants("test: the checkout's payments"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_a_refund_of_the_order_gets_a_credit_note_against_the_invoice(
    client, invoice, shop_a, no_csrf
):
    _, token, _ = invoice
    client.post(f"/pay/{token}", data={"method": "test"})
    (order,) = orders_of(shop_a)
    with tenant_context(shop_a):
        order = get_order(order.id)
        refund_order(
            order,
            RefundRequest(quantities={order.lines[0].id: 1}, reason="Broken"),
            actor_id=None,
            key="r1",
        )
        db.session.commit()
        notes = db.session.scalars(
            sa.select(Invoice).where(Invoice.kind == DocumentKind.CREDIT_NOTE)
        ).all()
        (invoice_row,) = invoices_of(shop_a)
        (note,) = notes
        assert note.order_id == order.id
        assert note.snapshot["invoice_number"] == invoice_row.number


def test_mark_paid_by_bank_transfer_twice_makes_one_order_and_one_set_of_entries(
    app_ctx, invoice, shop_a, make_user
):
    document_id, _, _ = invoice
    owner = member(shop_a, make_user)
    before = entries()
    with tenant_context(shop_a):
        document = get_sales_document(document_id)
        assert mark_paid_by_transfer(document, shop=shop_a, actor_id=owner.id)
        db.session.commit()
        after = entries()
        assert not mark_paid_by_transfer(document, shop=shop_a, actor_id=owner.id)
        db.session.commit()
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID and order.payment_method == "bank_transfer"
    assert after > before and entries() == after
    document = document_of(shop_a, document_id)
    assert document.status is SalesStatus.PAID and document.paid_method == "bank_transfer"
    with tenant_context(shop_a), pytest.raises(EntryError, match="order"):
        void_document(document, actor_id=None)


def test_a_bank_transfer_chosen_on_the_pay_page_waits_then_staff_confirm_it(
    client, invoice, shop_a, make_user, no_csrf
):
    document_id, token, _ = invoice
    client.post(f"/pay/{token}", data={"method": "bank_transfer"})
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "IBAN GB00" in page
    client.post(f"/pay/{token}", data={"method": "bank_transfer"})  # again: the same order
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    owner = member(shop_a, make_user)
    with tenant_context(shop_a):
        assert mark_paid_by_transfer(
            get_sales_document(document_id), shop=shop_a, actor_id=owner.id
        )
        db.session.commit()
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID
    assert document_of(shop_a, document_id).status is SalesStatus.PAID


def test_an_unpaid_order_that_lapsed_is_let_go_and_a_new_one_placed(
    client, invoice, shop_a, no_csrf
):
    from mall.orders.services import cancel_order

    document_id, token, _ = invoice
    client.post(f"/pay/{token}", data={"method": "bank_transfer"})
    (first,) = orders_of(shop_a)
    with tenant_context(shop_a):
        cancel_order(get_order(first.id), reason="Not paid in time.")
        db.session.commit()
    client.post(f"/pay/{token}", data={"method": "test"})
    paid = [order for order in orders_of(shop_a) if order.status is OrderStatus.PAID]
    assert len(paid) == 1 and paid[0].id != first.id
    assert document_of(shop_a, document_id).order_id == paid[0].id


def test_a_pay_link_opens_only_its_invoice_on_its_shops_host(
    client, invoice, shop_a, shop_b, no_csrf
):
    _, token, _ = invoice
    assert client.get(f"/pay/{tampered(token)}").status_code == 404
    assert client.get("/pay/not-a-token").status_code == 404
    host = "shop-b.mall.test"
    assert client.get(f"/pay/{token}", headers={"Host": host}).status_code == 404
    assert client.post(f"/pay/{token}", headers={"Host": host}).status_code == 404
    own = "shop-a.mall.test"
    assert client.get(f"/pay/{token}", headers={"Host": own}).status_code == 200


def test_an_unknown_payment_method_is_refused_with_a_message(client, invoice, shop_a, no_csrf):
    _, token, _ = invoice
    response = client.post(f"/pay/{token}", data={"method": "offline_card"}, follow_redirects=True)
    assert "not available" in response.get_data(as_text=True)
    assert orders_of(shop_a) == []


# ---------------------------------------------------------------- Stripe Checkout

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


def test_stripe_checkout_pays_the_invoice_once_whatever_replays(client, stripe_on, invoice, shop_a):
    document_id, token, _ = invoice
    first = client.post(f"/pay/{token}", data={"method": "stripe"})
    assert first.status_code == 303
    session_id = re.search(r"(cs_test_\w+)", first.headers["Location"]).group(1)
    second = client.post(f"/pay/{token}", data={"method": "stripe"})  # back: the same page
    assert session_id in second.headers["Location"]
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    session = stripe_on.pay(session_id)
    before = entries()
    for _ in range(2):  # the event, and Stripe sending it again
        stripe.send_event(
            client, "checkout.session.completed", session, event_id=f"evt_{session_id}"
        )
    stripe.send_event(client, "checkout.session.completed", session, event_id=f"evt2_{session_id}")
    back = client.get(f"/pay/{token}/return?session_id={session_id}")  # the customer returns
    assert back.status_code == 303
    (order,) = orders_of(shop_a)
    assert order.status is OrderStatus.PAID and order.payment_method == "stripe"
    paid_entries = entries()
    assert paid_entries > before
    assert document_of(shop_a, document_id).status is SalesStatus.PAID
    assert len(invoices_of(shop_a)) == 1
    stripe.send_event(client, "checkout.session.completed", session, event_id=f"evt3_{session_id}")
    assert entries() == paid_entries and len(orders_of(shop_a)) == 1
