"""Order entry: the shop's quotes and invoices (back office, "Sales"), the customer's pay page."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

# Signed pay links only: a tampered token or a link of shop A on shop B's host answers 404,
# a voided invoice's old link 410 (``tests/mall/test_entry_payment.py``, ``test_entry_fixes.py``).
MALL_ROUTES = {
    "order_entry_pay.pay",
    "order_entry_pay.start",
    "order_entry_pay.stripe_return",
    "order_entry_pay.invoice",
    "order_entry_pay.invoice_pdf",
}

SHOP_ROUTES = {
    "order_entry.documents",
    "order_entry.new",
    "order_entry.document",
    "order_entry.send",
    "order_entry.accept",
    "order_entry.convert",
    "order_entry.void",
    "order_entry.mark_paid",
}


def make_sales_document(shop):
    """An issued invoice entered for ``shop`` (committed); its id."""
    from mall.accounts.addresses import PostalAddress
    from mall.catalog import services as catalog
    from mall.catalog.models import StockReason
    from mall.catalog.stock import adjust_stock
    from mall.orders.entry.lifecycle import issue_invoice
    from mall.orders.entry.pricing import LineInput
    from mall.orders.entry.services import CustomerInput, DocumentInput, create_document
    from tenants.context import tenant_context

    sku = f"ENT-{uuid4().hex[:10]}"
    with tenant_context(shop):
        product = catalog.create_product(
            catalog.ProductInput(
                title=f"Kettle {sku}", variants=[catalog.VariantInput(sku=sku, price=1500)]
            )
        )
        adjust_stock(product.variants[0], 5, reason=StockReason.RECEIPT)
        document, _ = create_document(
            DocumentInput(
                kind=shop_kind(),
                customer=CustomerInput(email="carol@example.com", name="Carol"),
                lines=[LineInput(sku=sku, quantity=1)],
                shipping_address=PostalAddress(
                    name="Carol",
                    line1="1 High St",
                    city="York",
                    postal_code="YO1 7HH",
                    country="GB",
                ),
            ),
            shop=shop,
            actor_id=None,
            request_key=uuid4().hex,
        )
        issue_invoice(document, actor_id=None)
        db.session.commit()
        return document.id


def shop_kind():
    from mall.orders.entry.models import SalesKind

    return SalesKind.INVOICE


OBJECT_IDS = {"sales_id": make_sales_document}
