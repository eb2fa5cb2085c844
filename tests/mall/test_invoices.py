"""Invoices and credit notes: once per paid order and per refund, numbered per shop without gaps,
frozen amounts that add up, HTML and a real PDF from one template, for the shop and the customer."""

from __future__ import annotations

import re
import zlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice, InvoiceCounter
from mall.invoices.rendering import document_pdf
from mall.invoices.services import (
    InvoiceDetails,
    documents_of_order,
    issue_invoice,
    update_invoice_settings,
)
from mall.orders.models import Order, OrderRefund
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_token
from mall.signals import order_paid, order_refunded
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.mall.test_pricing_quote import inclusive, rate
from tests.support.money import buy
from tests.support.shopping import stock_shop
from tests.support.tokens import tampered


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def documents(shop, kind: DocumentKind | None = None) -> list[SimpleNamespace]:
    """The shop's documents as plain values (readable after the test's later commits)."""
    with tenant_context(shop):
        db.session.expire_all()
        query = sa.select(Invoice).order_by(Invoice.kind, Invoice.sequence)
        if kind is not None:
            query = query.where(Invoice.kind == kind)
        return [
            SimpleNamespace(
                row=row,
                **{
                    name: getattr(row, name)
                    for name in (
                        "id",
                        "kind",
                        "number",
                        "order_id",
                        "source_id",
                        "total",
                        "tax",
                        "snapshot",
                        "buyer_json",
                        "seller_json",
                    )
                },
            )
            for row in db.session.scalars(query)
        ]


def pay(shop) -> Order:
    """A bank-transfer order of ``shop`` marked paid (flushed, in the caller's transaction)."""
    order = place_order(shop)
    assert mark_order_paid(order)
    return order


def pdf_text(pdf: bytes) -> bytes:
    """The PDF's streams inflated (no PDF library needed): outlines and metadata are there."""
    out = b""
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(stream.group(1))
        except zlib.error:
            out += stream.group(1)
    return out


@pytest.fixture
def taxed(app_ctx, client, shop_a, no_csrf):
    """Shop A, taxing GB at 20 % on goods and 5 % on shipping, sold 3 x 9.99 + 5.00 shipping."""
    rate(shop_a, 2000, country="GB")
    rate(shop_a, 500, country="GB", tax_class="shipping")
    stocked = stock_shop(shop_a, price=999, quantity=10)
    (order,) = buy(client, (stocked.variant_id, 3))
    with tenant_context(shop_a):
        return values(order)


def values(order: Order) -> SimpleNamespace:
    """What the tests compare with, read in the order's shop context."""
    return SimpleNamespace(
        id=order.id,
        total=order.total,
        tax=order.tax,
        shipping_tax=order.shipping_tax,
        line_id=order.lines[0].id,
    )


def order_of(order_id) -> Order:
    """The order, fresh (call in its shop's context)."""
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()


# ---------------------------------------------------------------- issuing, once


def test_a_paid_order_gets_one_invoice_and_a_replay_makes_nothing(taxed, shop_a):
    (invoice,) = documents(shop_a)
    assert invoice.kind is DocumentKind.INVOICE and invoice.number == "SHOPA-INV-1"
    assert invoice.order_id == taxed.id and invoice.total == taxed.total
    with tenant_context(shop_a):
        order = order_of(taxed.id)
        order_paid.send(order)  # a replayed signal (a retried webhook, a re-run job)
        again, made = issue_invoice(order)
        db.session.commit()
        counter = db.session.scalar(sa.select(InvoiceCounter.last_number))
        assert not made and again.id == invoice.id
    assert len(documents(shop_a)) == 1 and counter == 1


def test_numbers_have_no_gaps_across_one_transaction_and_a_rollback(app_ctx, shop_a, shop_b):
    with tenant_context(shop_a):
        first, second = values(pay(shop_a)), values(pay(shop_a))  # one transaction, two invoices
        db.session.commit()
        nested = db.session.begin_nested()
        pay(shop_a)  # issued, then rolled back with everything else
        nested.rollback()
        third = values(pay(shop_a))
        db.session.commit()
    with tenant_context(shop_b):
        other = values(pay(shop_b))  # another shop counts on its own
        db.session.commit()
    numbers = {doc.order_id: doc.number for doc in documents(shop_a)}
    assert [numbers[first.id], numbers[second.id], numbers[third.id]] == [
        "SHOPA-INV-1",
        "SHOPA-INV-2",
        "SHOPA-INV-3",
    ]
    assert [doc.number for doc in documents(shop_b)] == ["SHOPB-INV-1"]
    assert documents(shop_b)[0].order_id == other.id


def test_the_tax_breakdown_sums_to_the_orders_tax_and_total(taxed, shop_a):
    (invoice,) = documents(shop_a)
    data = invoice.snapshot
    rates = {row["rate_bp"]: row for row in data["tax_breakdown"]}
    assert set(rates) == {500, 2000}  # goods at 20 %, shipping at its own 5 %
    assert sum(row["tax"] for row in rates.values()) == taxed.tax == invoice.tax
    assert sum(row["net"] + row["tax"] for row in rates.values()) == taxed.total
    assert rates[500]["tax"] == taxed.shipping_tax == 25
    assert data["totals"]["total"] == taxed.total
    assert data["totals"]["net"] + data["totals"]["tax"] == taxed.total


def test_prices_with_tax_included_break_down_the_same_way(app_ctx, client, shop_a, no_csrf):
    inclusive(shop_a)
    rate(shop_a, 1900, country="GB")
    rate(shop_a, 700, country="GB", tax_class="shipping")
    stocked = stock_shop(shop_a, price=1190, quantity=10)
    (order,) = buy(client, (stocked.variant_id, 7))
    with tenant_context(shop_a):
        order = values(order)
    (invoice,) = documents(shop_a)
    breakdown = invoice.snapshot["tax_breakdown"]
    assert {row["rate_bp"] for row in breakdown} == {700, 1900}
    assert sum(row["tax"] for row in breakdown) == order.tax
    assert sum(row["net"] + row["tax"] for row in breakdown) == order.total


def test_the_buyer_is_sealed_and_the_shops_details_frozen(app_ctx, shop_a, client, no_csrf):
    with tenant_context(shop_a):
        update_invoice_settings(
            shop_a,
            details=InvoiceDetails(
                legal_name="Shop A Trading Ltd",
                vat_number="GB123456789",
                address="1 Market Square\nLeeds LS1 1AA",
                footer="Registered in England, no. 0000001.",
            ),
        )
        db.session.commit()
    stocked = stock_shop(shop_a, price=1000, quantity=5)
    buy(client, (stocked.variant_id, 1))
    with tenant_context(shop_a):
        update_invoice_settings(shop_a, details=InvoiceDetails(legal_name="Renamed Ltd"))
        db.session.commit()
    (invoice,) = documents(shop_a)
    assert invoice.snapshot["seller"]["legal_name"] == "Shop A Trading Ltd"
    assert invoice.snapshot["seller"]["vat_number"] == "GB123456789"
    table = Invoice.__table__
    with tenant_context(shop_a):  # the stored bytes, as a dump would hold them
        raw = db.session.execute(
            sa.select(table.c.buyer, table.c.seller, table.c.snapshot).where(
                table.c.id == invoice.id
            )
        ).one()
    for sealed in (raw.buyer, raw.seller):
        assert b"Ada" not in bytes(sealed) and b"Market Square" not in bytes(sealed)
    assert "Ada" not in str(raw.snapshot) and "Marylebone" not in str(raw.snapshot)
    assert "Ada Lovelace" in invoice.buyer_json and "Market Square" in invoice.seller_json


def test_invoice_details_refuse_what_is_too_long(app_ctx, client, shop_a, member_of_a, no_csrf):
    response = client.post(
        "/shop/shop-a/admin/invoices/details", data={"vat_number": "X" * 41, "legal_name": "A"}
    )
    assert response.status_code == 422
    assert "40 characters" in response.get_data(as_text=True)
    saved = client.post(
        "/shop/shop-a/admin/invoices/details",
        data={"legal_name": "Shop A Ltd", "address": "1 Road\nTown", "vat_number": "GB1"},
    )
    assert saved.status_code == 303
    page = client.get("/shop/shop-a/admin/invoices/details").get_data(as_text=True)
    assert "Shop A Ltd" in page and "1 Road" in page


# ---------------------------------------------------------------- credit notes


def test_each_refund_gets_one_credit_note_with_its_amounts(taxed, shop_a):
    with tenant_context(shop_a):
        order = order_of(taxed.id)
        first, _ = refund_order(
            order,
            RefundRequest(quantities={taxed.line_id: 1}, shipping=200),
            actor_id=None,
            key="r1",
        )
        refund_order(
            order,
            RefundRequest(quantities={taxed.line_id: 2}, shipping=325),
            actor_id=None,
            key="r2",
        )
        db.session.commit()
        refunds = {r.id: values_of_refund(r) for r in db.session.scalars(sa.select(OrderRefund))}
        # Replayed: the signal again, for the first refund.
        order_refunded.send(order, refund_id=first.id, amount=first.amount, lines=(), full=False)
        db.session.commit()
    notes = documents(shop_a, DocumentKind.CREDIT_NOTE)
    assert [note.number for note in notes] == ["SHOPA-CN-1", "SHOPA-CN-2"]
    for note in notes:
        refund = refunds[note.source_id]
        assert note.total == refund.amount
        assert note.snapshot["invoice_number"] == "SHOPA-INV-1"
        breakdown = note.snapshot["tax_breakdown"]
        assert sum(row["net"] + row["tax"] for row in breakdown) == refund.amount
        assert sum(row["tax"] for row in breakdown) == note.tax
        assert sum(line["total"] for line in note.snapshot["lines"]) == refund.amount - (
            refund.shipping
        )
    # Refunding everything gives back exactly the order's tax, shipping tax included.
    assert sum(note.tax for note in notes) == taxed.tax
    assert sum(note.snapshot["shipping"]["tax"] for note in notes) == taxed.shipping_tax
    assert sum(refund.amount for refund in refunds.values()) == taxed.total


def values_of_refund(refund: OrderRefund) -> SimpleNamespace:
    return SimpleNamespace(id=refund.id, amount=refund.amount, shipping=refund.shipping)


def test_no_credit_note_for_an_order_never_invoiced(app_ctx, shop_a):
    with tenant_context(shop_a):
        order = pay(shop_a)
        db.session.execute(sa.delete(Invoice))  # as if paid before invoices existed
        refund_order(order, RefundRequest(amount=100), actor_id=None, key="x1")
        db.session.commit()
    assert documents(shop_a) == []


# ---------------------------------------------------------------- HTML and PDF


def test_the_pdf_is_a_real_pdf_naming_the_invoice(taxed, shop_a):
    (invoice,) = documents(shop_a)
    with tenant_context(shop_a):
        pdf = document_pdf(db.session.merge(invoice.row))
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
    assert len(pdf) > 2000
    assert invoice.number.encode() in pdf_text(pdf)


def test_the_shop_lists_views_and_downloads_its_documents(
    taxed, client, shop_a, member_of_a, count_queries
):
    listing = client.get("/shop/shop-a/admin/invoices/")
    assert listing.status_code == 200
    (invoice,) = documents(shop_a)
    assert invoice.number in listing.get_data(as_text=True)
    page = client.get(f"/shop/shop-a/admin/invoices/{invoice.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Invoice SHOPA-INV-1" in html and "Ada Lovelace" in html
    assert "<style" not in html and "<script" not in html  # CSP: the stylesheet is linked
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"  # one charset
    pdf = client.get(f"/shop/shop-a/admin/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert 'filename="SHOPA-INV-1.pdf"' in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    order_page = client.get(f"/shop/shop-a/admin/orders/{taxed.id}").get_data(as_text=True)
    assert f"/shop/shop-a/admin/invoices/{invoice.id}.pdf" in order_page
    # The list costs the same whatever the number of documents.
    with count_queries() as one:
        assert client.get("/shop/shop-a/admin/invoices/?kind=invoice").status_code == 200
    with tenant_context(shop_a):
        for _ in range(4):
            pay(shop_a)
        db.session.commit()
    with count_queries() as five:
        assert client.get("/shop/shop-a/admin/invoices/?kind=invoice").status_code == 200
    assert five.count == one.count


def test_the_customer_gets_the_invoice_behind_the_tracking_link(taxed, client, shop_a):
    with tenant_context(shop_a):
        order = order_of(taxed.id)
        token = tracking_token(order)
        (invoice,) = documents_of_order(order)
        invoice_id = invoice.id
    tracking = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "SHOPA-INV-1" in tracking
    page = client.get(f"/orders/{token}/documents/{invoice_id}")
    assert page.status_code == 200 and "Invoice SHOPA-INV-1" in page.get_data(as_text=True)
    pdf = client.get(f"/orders/{token}/documents/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_a_tampered_token_or_another_orders_document_answers_404(taxed, client, shop_a):
    with tenant_context(shop_a):
        token = tracking_token(order_of(taxed.id))
        other = pay(shop_a)
        db.session.commit()
        other_token = tracking_token(other)
    (invoice,) = [doc for doc in documents(shop_a) if doc.order_id == taxed.id]
    bad = tampered(token)
    for path in (
        f"/orders/{bad}/documents/{invoice.id}",
        f"/orders/{bad}/documents/{invoice.id}.pdf",
        f"/orders/{other_token}/documents/{invoice.id}",  # a real link, but of another order
        f"/orders/{other_token}/documents/{invoice.id}.pdf",
    ):
        assert client.get(path).status_code == 404, path
