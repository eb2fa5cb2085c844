"""The demo's order entry (``mall.demo.sales_office``): Green Thumb's sales rep typed a phone order
with one line at a trade price, issued and emailed the invoice, then marked it paid by bank
transfer, so it became a normal paid order; and a quote waits for the customer. Through the
real services, once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.accounts.services import find_user_by_email
from mall.crm.customers import find_customer
from mall.demo.people import DEMO_PERSONAL_DATA, seed_demo
from mall.demo.sales_office import (
    PHONE_CUSTOMER,
    SALES_OFFICE_PERSONAL_DATA,
    SALES_REP,
    SHOP,
    TRADE_PRICE,
    phone_orders,
)
from mall.extensions import db
from mall.ledger.models import LedgerEntry
from mall.orders.entry.models import SalesDocument, SalesDocumentLine, SalesKind, SalesStatus
from mall.orders.models import Order, OrderStatus
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant
from tests.support.mail import sent_to, text_of


@pytest.fixture
def seeded(app_ctx):
    report = seed_demo()
    db.session.commit()
    return report


def green() -> Tenant:
    return db.session.scalars(sa.select(Tenant).where(Tenant.slug == SHOP)).one()


def documents() -> dict[SalesKind, SalesDocument]:
    with tenant_context(green()):
        return {document.kind: document for document in phone_orders()}


def counts() -> dict[str, int]:
    with all_tenants("test: count what the demo's sales office made"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (SalesDocument, SalesDocumentLine, Order, LedgerEntry)
        }


def test_the_sales_rep_invoiced_a_phone_order_at_a_trade_price_and_it_was_paid(seeded, app):
    invoice = documents()[SalesKind.INVOICE]
    rep = find_user_by_email(SALES_REP)
    assert invoice.entered_by_id == rep.id
    assert invoice.status is SalesStatus.PAID and invoice.paid_method == "bank_transfer"
    assert invoice.number.startswith("GREENTHUMB-INV-")
    with tenant_context(green()):
        lines = sorted(invoice.lines, key=lambda line: line.position)
        assert [line.quantity for line in lines] == [3, 4]
        agreed = [line for line in lines if line.unit_price != line.list_price]
        assert [(line.sku, line.unit_price, line.price_override_reason) for line in agreed] == [
            ("GT-TRW", 2000, TRADE_PRICE)
        ]
        # The customer is the shop's CRM customer, sealed like every personal field.
        customer = find_customer(PHONE_CUSTOMER.email)
        assert customer is not None and customer.id == invoice.customer_id
        assert invoice.name == PHONE_CUSTOMER.name
        # Paying made one normal order: paid, entered by the rep, at the invoice's total.
        order = db.session.get(Order, (invoice.tenant_id, invoice.order_id))
        assert order.status is OrderStatus.PAID
        assert order.entered_by_id == rep.id
        assert order.total == invoice.total
    # The invoice went to the customer by email, with its pay link.
    mail = sent_to(app, PHONE_CUSTOMER.email)
    assert any(invoice.number in m["Subject"] and "/pay/" in text_of(m) for m in mail)
    assert any(invoice.number in line and "paid" in line for line in seeded)


def test_a_quote_waits_for_the_customer(seeded):
    quote = documents()[SalesKind.QUOTE]
    assert quote.status is SalesStatus.SENT and quote.number.startswith("GREENTHUMB-Q-")
    assert quote.order_id is None and quote.valid_until is not None
    assert any(quote.number in line for line in seeded)


def test_seeding_twice_changes_nothing(seeded):
    first = counts()
    before = {kind: (d.id, d.status, d.order_id) for kind, d in documents().items()}
    seed_demo()
    db.session.commit()
    assert counts() == first
    assert {kind: (d.id, d.status, d.order_id) for kind, d in documents().items()} == before


def test_the_personal_data_test_knows_the_phone_customer_and_the_vendors_contacts():
    assert set(SALES_OFFICE_PERSONAL_DATA) <= set(DEMO_PERSONAL_DATA)
    assert {PHONE_CUSTOMER.email, PHONE_CUSTOMER.name, PHONE_CUSTOMER.phone} <= set(
        SALES_OFFICE_PERSONAL_DATA
    )
