"""The demo's sales office, order entry side: a phone order typed by Green Thumb's sales rep,
invoiced, emailed and paid by bank transfer (so it became a normal order), and one open quote.

Issue 14's demo. The sales rep is a demo person (``rita.sales@mall.example``); the
customer is a demo-only phone customer, added to the shop's CRM by the order entry
service itself. Everything goes through the real services (``lifecycle.enter_document``,
``payment.mark_paid_by_transfer``), keyed by a request key derived from the app's
secret (``demo_token``), so a re-run finds what the last run made and changes nothing.

The vendors' demo contacts live here too: ``vendors.demo`` (a higher layer, which this
package may not import) seeds them, and the personal data test must know them.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.services import find_user_by_email
from mall.demo.money import demo_token
from mall.extensions import db
from mall.orders.entry.errors import EntryError
from mall.orders.entry.lifecycle import enter_document
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.payment import mark_paid_by_transfer
from mall.orders.entry.pricing import LineInput
from mall.orders.entry.services import CustomerInput, DocumentInput
from mall.orders.models import Order
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant, TenantStatus

SHOP = "green-thumb"
SALES_REP = "rita.sales@mall.example"
# The customer who phoned: personal data, sealed by the services (the dump test looks for it).
PHONE_CUSTOMER = CustomerInput(
    email="edith.marchetti@mall.example", name="Edith Marchetti", phone="+44 1653 600 417"
)
PHONE_ADDRESS = PostalAddress(
    name="Edith Marchetti",
    line1="7 Quarry Lane",
    line2="",
    city="Malton",
    postal_code="YO17 7HW",
    country="GB",
    phone="+44 1653 600 417",
)
TRADE_PRICE = "Trade price"
# (SKU, quantity, agreed unit price or None for the catalog's): one line at a trade price.
INVOICE_LINES = (("GT-TRW", 3, 2000), ("GT-BAS", 4, None))
QUOTE_LINES = (("GT-FRK", 1, None), ("GT-POT-30CM", 2, None))
INVOICE_NOTE = "Ordered by phone; paying by bank transfer."
QUOTE_NOTE = "Quoted by phone for the allotment society."

# The vendors' contacts seeded by ``vendors.demo`` (sealed under the shop's key).
# (name, contact person, email, phone, street, city, postcode)
HILLSIDE = (
    "Hillside Seed Co.",
    "Morwenna Tregarthen",
    "orders@hillside-seed.example",
    "+44 1872 555 0143",
    "Unit 2, Trewithen Barns",
    "Truro",
    "TR2 4JX",
)
FERNWAY = (
    "Fernway Nursery Direct",
    "Declan Ashworth-Pryce",
    "dropship@fernway-nursery.example",
    "+44 1539 555 0178",
    "Fernway Lane",
    "Kendal",
    "LA9 6PX",
)

# Every piece of personal data this part of the demo stores (``DEMO_PERSONAL_DATA``).
SALES_OFFICE_PERSONAL_DATA = (
    PHONE_CUSTOMER.email,
    PHONE_CUSTOMER.name,
    PHONE_CUSTOMER.phone,
    PHONE_ADDRESS.line1,
    "Quarry Lane",
    PHONE_ADDRESS.postal_code,
    *(value for vendor in (HILLSIDE, FERNWAY) for value in vendor[1:5]),
)


def seed_sales_office(shops: dict[str, Tenant]) -> list[str]:
    """The sales rep's phone order (invoiced, emailed, paid by transfer) and an open quote at
    Green Thumb, once. Report lines."""
    shop = shops.get(SHOP)
    rep = find_user_by_email(SALES_REP)
    if shop is None or shop.status is not TenantStatus.ACTIVE or rep is None:
        return []
    with tenant_context(shop):
        invoice = _enter(shop, rep.id, SalesKind.INVOICE, INVOICE_LINES, INVOICE_NOTE, "invoice")
        if invoice is not None and invoice.status is SalesStatus.SENT:
            mark_paid_by_transfer(invoice, shop=shop, actor_id=rep.id)
            db.session.refresh(invoice)
        quote = _enter(shop, rep.id, SalesKind.QUOTE, QUOTE_LINES, QUOTE_NOTE, "quote")
        db.session.flush()
        return _report(invoice, quote)


def _enter(
    shop: Tenant,
    rep_id: UUID,
    kind: SalesKind,
    lines: tuple[tuple[str, int, int | None], ...],
    note: str,
    name: str,
) -> SalesDocument | None:
    """The document typed and sent (once per request key); None if the catalog changed."""
    data = DocumentInput(
        kind=kind,
        customer=PHONE_CUSTOMER,
        lines=[
            LineInput(
                sku=sku,
                quantity=quantity,
                unit_price=price,
                price_reason=TRADE_PRICE if price is not None else "",
            )
            for sku, quantity, price in lines
        ],
        shipping_address=PHONE_ADDRESS,
        note=note,
    )
    try:
        document, _ = enter_document(
            data,
            shop=shop,
            actor_id=rep_id,
            request_key=demo_token(f"sales-office-{name}")[:40],
            send=True,
        )
    except EntryError:  # the catalog changed (an SKU gone): no story rather than a broken seed
        return None
    return document


def _report(invoice: SalesDocument | None, quote: SalesDocument | None) -> list[str]:
    lines = [f"Sales office at {SHOP} (tab Sales), entered by {SALES_REP}:"]
    if invoice is not None:
        order = scoped_get(Order, invoice.order_id) if invoice.order_id else None
        made = f", order {order.number}" if order is not None else ""
        lines.append(
            f"  phone order invoice {invoice.number} ({invoice.status.value}, "
            f"one line at a '{TRADE_PRICE}'), emailed, paid by bank transfer{made}."
        )
    if quote is not None:
        lines.append(f"  quote {quote.number} ({quote.status.value}) waits for the customer.")
    return lines


def phone_orders() -> list[SalesDocument]:
    """The demo's two documents (for tests and the report), in the shop's context."""
    return list(
        db.session.scalars(
            sa.select(SalesDocument).where(
                SalesDocument.request_key.in_(
                    [demo_token(f"sales-office-{n}")[:40] for n in ("invoice", "quote")]
                )
            )
        )
    )
