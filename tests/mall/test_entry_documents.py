"""Order entry: staff enter quotes and invoices for orders taken by phone or mail.

The figures come from the checkout's own pricing (tax, shipping) at the agreed prices;
a changed price or a discount needs a reason; a double submit makes one document;
a quote becomes an invoice once; an invoice is issued once, frozen in the shop's
invoice series, and emailed with its PDF and pay link; a void invoice's link stops.
Helpers here are shared by the other ``test_entry_*`` files.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.crm.models import CrmCustomer
from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.orders.entry.errors import EntryError
from mall.orders.entry.lifecycle import (
    accept_quote,
    convert_quote,
    issue_invoice,
    send_document,
    void_document,
)
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.pricing import LineInput
from mall.orders.entry.services import (
    CustomerInput,
    DocumentInput,
    copy_document,
    create_document,
    get_sales_document,
)
from mall.orders.entry.tokens import pay_token
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.mall.test_pricing_quote import rate
from tests.support.mail import clear_outbox, link_in, sent_to
from tests.support.shopping import accept_manual_payments, stock_shop

ADDRESS = {
    "ship-name": "Grace Hopper",
    "ship-line1": "1 Navy Way",
    "ship-city": "London",
    "ship-postal_code": "SW1A 1AA",
    "ship-country": "GB",
    "billing_same": "y",
}
SHOP_ADDRESS = SimpleNamespace(
    name="Grace Hopper", line1="1 Navy Way", city="London", postal_code="SW1A 1AA", country="GB"
)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def goods(app_ctx, shop_a):
    """Shop A taxing GB at 20 % (shipping 5 %), a 10.00 teapot, 10 in stock, 5.00 shipping."""
    rate(shop_a, 2000, country="GB")
    rate(shop_a, 500, country="GB", tax_class="shipping")
    stocked = stock_shop(shop_a, price=1000, quantity=10)
    with tenant_context(shop_a):
        variant = db.session.get(Variant, (shop_a.id, stocked.variant_id))
        stocked.sku = variant.sku
    accept_manual_payments(shop_a)
    return stocked


def member(shop, make_user, role: Role = Role.OWNER, email: str | None = None):
    """A user of ``shop`` with ``role`` (committed)."""
    user = make_user(email or f"{role.value}-{uuid4().hex[:6]}@example.com")
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    return user


def address():
    from mall.accounts.addresses import PostalAddress

    return PostalAddress(**vars(SHOP_ADDRESS))


def typed(sku: str, quantity: int = 2, **line) -> DocumentInput:
    """A document for Ada with one line of ``sku``."""
    return DocumentInput(
        kind=line.pop("kind", SalesKind.INVOICE),
        customer=CustomerInput(email="ada@example.com", name="Ada Lovelace", phone="+44 20 1234"),
        lines=[LineInput(sku=sku, quantity=quantity, **line)],
        shipping_address=address(),
    )


def enter(shop, data: DocumentInput, *, actor_id=None, key: str | None = None) -> SalesDocument:
    """A document of ``shop`` made through the service (flushed)."""
    made, _ = create_document(data, shop=shop, actor_id=actor_id, request_key=key or uuid4().hex)
    return made


def issued(shop, goods, **line) -> SalesDocument:
    """An issued invoice of ``shop`` for 2 teapots (committed); call in its context."""
    document = enter(shop, typed(goods.sku, **line))
    assert issue_invoice(document, actor_id=None)
    db.session.commit()
    return document


def form(sku: str, quantity: str = "2", action: str = "draft", **extra: str) -> dict[str, str]:
    data = {
        "request_key": uuid4().hex,
        "customer_email": "ada@example.com",
        "customer_name": "Ada Lovelace",
        "sku-0": sku,
        "quantity-0": quantity,
        "action": action,
        **ADDRESS,
    }
    data.update(extra)
    return data


# ---------------------------------------------------------------- figures


def test_the_figures_are_the_checkouts_at_the_agreed_price_with_a_discount(goods, shop_a):
    with tenant_context(shop_a):
        document = enter(
            shop_a,
            typed(
                goods.sku,
                quantity=3,
                unit_price=900,
                price_reason="Trade price",
                discount=200,
                discount_reason="Loyal customer",
            ),
        )
        (line,) = document.lines
        assert (line.list_price, line.unit_price, line.discount) == (1000, 900, 200)
        assert line.price_override_reason == "Trade price"
        # 3 x 9.00 - 2.00 = 25.00 net, 20 % tax = 5.00; shipping 5.00 + 5 % = 0.25.
        assert (line.tax, line.total) == (500, 3000)
        assert document.shipping_amount == 500
        assert document.tax == 525
        assert document.total == 3000 + 500 + 25
        assert document.shipping_method_name == "Standard"
        assert document.entered_by_id is None and document.status is SalesStatus.DRAFT


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"unit_price": 500}, "say why the price differs"),
        ({"discount": 100}, "say why the line is discounted"),
        ({"discount": 5000, "discount_reason": "x"}, "more than the line's amount"),
        ({"unit_price": 10**15, "price_reason": "x"}, "out of range"),
    ],
)
def test_a_changed_price_or_discount_needs_a_reason_and_a_sane_amount(goods, shop_a, line, message):
    with tenant_context(shop_a), pytest.raises(EntryError, match=message):
        enter(shop_a, typed(goods.sku, **line))


def test_an_unknown_sku_or_another_shops_sku_is_refused(goods, shop_a, shop_b):
    other = stock_shop(shop_b, price=700)
    with tenant_context(shop_b):
        other_sku = db.session.get(Variant, (shop_b.id, other.variant_id)).sku
    with tenant_context(shop_a):
        for sku in ("NOPE", other_sku):
            with pytest.raises(EntryError, match="no item has the SKU"):
                enter(shop_a, typed(sku))


def test_the_customer_is_found_in_the_crm_by_email_or_added_once(goods, shop_a):
    with tenant_context(shop_a):
        first = enter(shop_a, typed(goods.sku))
        second = enter(shop_a, typed(goods.sku))
        assert first.customer_id == second.customer_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CrmCustomer)) == 1
        # Sealed: the row holds ciphertext, the field opens it.
        assert b"ada@example.com" not in first.email_ct
        assert first.email == "ada@example.com" and first.phone == "+44 20 1234"


def test_the_same_request_key_makes_one_document(goods, shop_a):
    with tenant_context(shop_a):
        first = enter(shop_a, typed(goods.sku), key="k" * 32)
        again = enter(shop_a, typed(goods.sku, quantity=5), key="k" * 32)
        assert again.id == first.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesDocument)) == 1


# ---------------------------------------------------------------- quote -> invoice


def test_a_quote_is_numbered_when_sent_accepted_and_converted_once(app, goods, shop_a):
    clear_outbox(app)
    with tenant_context(shop_a):
        quote = enter(shop_a, typed(goods.sku, kind=SalesKind.QUOTE))
        assert quote.number is None
        send_document(quote, actor_id=None)
        db.session.commit()
        assert quote.number == "SHOPA-Q-1" and quote.status is SalesStatus.SENT
        assert accept_quote(quote, actor_id=None)
        assert not accept_quote(quote, actor_id=None)
        invoice = convert_quote(quote, actor_id=None, request_key="convert-1")
        again = convert_quote(quote, actor_id=None, request_key="convert-2")
        assert again.id == invoice.id
        assert quote.status is SalesStatus.INVOICED
        assert invoice.kind is SalesKind.INVOICE and invoice.quote_id == quote.id
        assert invoice.total == quote.total and invoice.status is SalesStatus.DRAFT
        assert [line.unit_price for line in invoice.lines] == [1000]
    (mail,) = sent_to(app, "ada@example.com")
    assert "SHOPA-Q-1" in mail["Subject"]


def test_copy_document_keeps_customer_lines_and_agreed_figures(goods, shop_a):
    with tenant_context(shop_a):
        template = enter(shop_a, typed(goods.sku, discount=100, discount_reason="Regular"))
        copy = copy_document(template, actor_id=None, request_key="copy-1")
        assert copy_document(template, actor_id=None, request_key="copy-1").id == copy.id
        assert copy.id != template.id and copy.status is SalesStatus.DRAFT
        assert (copy.customer_id, copy.total, copy.email) == (
            template.customer_id,
            template.total,
            "ada@example.com",
        )
        assert [(line.sku, line.discount) for line in copy.lines] == [(goods.sku, 100)]


# ---------------------------------------------------------------- issuing


def test_issuing_takes_the_shops_invoice_number_and_freezes_an_invoice_once(goods, shop_a):
    with tenant_context(shop_a):
        document = enter(shop_a, typed(goods.sku))
        assert issue_invoice(document, actor_id=None)
        assert not issue_invoice(document, actor_id=None)
        assert document.number == "SHOPA-INV-1" and document.status is SalesStatus.SENT
        assert document.due_on is not None and document.issued_on is not None
        (invoice,) = db.session.scalars(sa.select(Invoice)).all()
        assert invoice.kind is DocumentKind.INVOICE and invoice.number == document.number
        assert (invoice.source_id, invoice.order_id) == (document.id, None)
        assert invoice.total == document.total
        assert invoice.snapshot["lines"][0]["unit_price"] == 1000
        assert "Grace Hopper" in invoice.buyer_json


def test_the_invoice_email_has_the_pdf_and_the_pay_link(app, goods, shop_a):
    clear_outbox(app)
    with tenant_context(shop_a):
        document = enter(shop_a, typed(goods.sku))
        send_document(document, actor_id=None)
        db.session.commit()
        number = document.number
    (mail,) = sent_to(app, "ada@example.com")
    assert number in mail["Subject"]
    (pdf,) = [
        part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    assert pdf.get_content().startswith(b"%PDF")
    assert "/pay/" in link_in(mail, "/pay/")


def test_a_void_invoice_keeps_its_number_and_its_pay_link_stops(client, goods, shop_a):
    with tenant_context(shop_a):
        document = issued(shop_a, goods)
        token = pay_token(document)
    assert client.get(f"/pay/{token}").status_code == 200
    with tenant_context(shop_a):
        document = get_sales_document(document.id)
        assert void_document(document, actor_id=None)
        assert not void_document(document, actor_id=None)
        db.session.commit()
        assert document.number == "SHOPA-INV-1" and document.status is SalesStatus.VOID
        with pytest.raises(EntryError, match="void"):
            send_document(document, actor_id=None)
    assert client.get(f"/pay/{token}").status_code == 410
    with tenant_context(shop_a):
        assert client.get(f"/pay/{pay_token(get_sales_document(document.id))}").status_code == 410


def test_the_number_series_is_shared_with_web_orders_invoices(goods, shop_a):
    from mall.orders.services import mark_order_paid
    from tests.crawl.orders import place_order

    with tenant_context(shop_a):
        first = issued(shop_a, goods)
        order = place_order(shop_a)
        assert mark_order_paid(order)
        second = issued(shop_a, goods)
        numbers = sorted(db.session.scalars(sa.select(Invoice.sequence)).all())
        assert numbers == [1, 2, 3]
        assert (first.number, second.number) == ("SHOPA-INV-1", "SHOPA-INV-3")


def test_pay_link_tokens_carry_no_personal_data(goods, shop_a):
    with tenant_context(shop_a):
        token = pay_token(issued(shop_a, goods))
    assert "ada" not in token.lower() and re.fullmatch(r"[A-Za-z0-9_.\-]+", token)
