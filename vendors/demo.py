"""The demo's purchasing: Green Thumb buys stock from a vendor, and a drop-ship vendor sends a
customer's order straight to them.

``mall.demo`` may not import this layer, so ``wire`` adds ``seed_purchasing`` as a step of
``flask mall seed-demo`` (``mall.demo.add_seed_step``). Issue 14's demo:

- Hillside Seed Co. (net 30, contact sealed) supplies two Green Thumb variants in packs of
  ten; a PO is sent, received in part (one receipt: stock moves in units), billed for the
  packs received, and the bill paid in two payments (part, then the rest);
- Fernway Nursery Direct drop-ships a potted olive tree (a product added through the
  catalog's services); the demo customer's paid order of it made a drop-ship PO by itself,
  and the vendor confirmed it on the vendor link's service with a carrier and tracking
  number, so the customer's tracking page shows the parcel.

Everything goes through the real services, in the shop's context; each step finds what
the last run made first (by name, by the form keys derived from the app's secret through
``demo_token``), so seeding twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import Flask

from mall.accounts.services import find_user_by_email
from mall.catalog.media import add_image
from mall.catalog.models import Category, Product, ProductStatus, Variant
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.db import utcnow
from mall.demo import add_seed_step
from mall.demo.catalog import illustration
from mall.demo.money import OWNER, demo_order, demo_token
from mall.demo.sales_office import FERNWAY, HILLSIDE
from mall.demo.selling import CUSTOMER, place_demo_order
from mall.extensions import db
from mall.money import format_money
from mall.orders.models import Order, Shipment
from mall.orders.tracking import tracking_link
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus
from vendors.bills.payments import pay_bills
from vendors.bills.services import create_bill, open_bill, prefill
from vendors.directory.products import SupplyInput, add_vendor_product
from vendors.directory.services import VendorInput, create_vendor
from vendors.models import (
    BillStatus,
    PurchaseOrder,
    PurchaseStatus,
    Vendor,
    VendorBill,
    VendorProduct,
)
from vendors.purchasing.receiving import receive
from vendors.purchasing.services import PoLineInput, create_purchase_order, send_purchase_order
from vendors.vendor_link.confirmations import po_lines, record_vendor_reply, shippable

SHOP = "green-thumb"
# (SKU, vendor SKU, cost per pack, pack size, packs ordered, packs received)
STOCK_LINES = (
    ("GT-BAS", "HS-BAS-10", 1500, 10, 4, 4),
    ("GT-TOM-6VARIETIES", "HS-TOM6-10", 4200, 10, 3, 1),
)
PO_NOTE = "Spring restock: deliver to the shop, mornings please."
VENDOR_BILL_NUMBER = "HS-INV-2291"
FIRST_PAYMENT = 5000  # paid in part first, the rest a few days later
# The drop-ship product Fernway sends straight to the customer.
OLIVE = {
    "title": "Potted Olive Tree",
    "slug": "potted-olive-tree",
    "sku": "GT-OLV-120",
    "price": 8900,
    "cost": 5200,
    "weight": 15000,
    "category": "planters",
    "description": (
        "A 1.2 m olive tree in a 30 litre pot, grown in Cumbria and sent straight from "
        "the nursery on a pallet. Hardy to -8 °C; happiest in a sunny, sheltered corner."
    ),
}
PARCEL = {"carrier": "dpd", "tracking_number": "15501234567890"}


def wire(app: Flask) -> None:
    """Add purchasing's part to ``flask mall seed-demo``."""
    add_seed_step(app, seed_purchasing)


def seed_purchasing() -> list[str]:
    """Hillside's PO (sent, received in part, billed, paid) and Fernway's drop-ship parcel of
    the demo customer's order, at Green Thumb; what is missing only. Report lines."""
    shop = db.session.scalar(
        sa.select(Tenant).where(Tenant.slug == SHOP, Tenant.status == TenantStatus.ACTIVE)
    )
    owner = find_user_by_email(OWNER)
    if shop is None or owner is None:
        return []
    with tenant_context(shop):
        po, bill = _seed_stock_purchase(owner.id)
        olive = _olive_variant(owner.id)
    order = _seed_drop_ship_order(olive) if olive is not None else None
    with tenant_context(shop):
        drop_po = _confirm_drop_ship(order) if order is not None else None
        db.session.flush()
        return _report(po, bill, order, drop_po)


# ---------------------------------------------------------------- stock from Hillside


def _vendor(spec: tuple[str, ...], *, actor_id: UUID) -> Vendor:
    name, contact, email, phone, street, city, postcode = spec
    found = db.session.scalar(sa.select(Vendor).where(Vendor.name == name))
    if found is not None:
        return found
    return create_vendor(
        VendorInput(
            name=name,
            contact_name=contact,
            email=email,
            phone=phone,
            street=street,
            city=city,
            postcode=postcode,
            country="GB",
            payment_terms_days=30,
            lead_time_days=7,
        ),
        actor_id=actor_id,
    )


def _supplies(vendor: Vendor, sku: str, terms: SupplyInput, *, actor_id: UUID) -> Variant | None:
    """The variant with ``sku``, supplied by ``vendor`` on ``terms`` (recorded once)."""
    variant = db.session.scalar(sa.select(Variant).where(Variant.sku == sku))
    if variant is None:
        return None
    known = db.session.scalar(
        sa.select(VendorProduct.id).where(
            VendorProduct.vendor_id == vendor.id, VendorProduct.variant_id == variant.id
        )
    )
    if known is None:
        add_vendor_product(vendor, sku=sku, terms=terms, actor_id=actor_id)
    return variant


def _seed_stock_purchase(actor_id: UUID) -> tuple[PurchaseOrder | None, VendorBill | None]:
    vendor = _vendor(HILLSIDE, actor_id=actor_id)
    variants = []
    for sku, vendor_sku, cost, pack, *_ in STOCK_LINES:
        terms = SupplyInput(
            vendor_sku=vendor_sku, unit_cost=cost, pack_size=pack, min_order_packs=1, preferred=True
        )
        variants.append(_supplies(vendor, sku, terms, actor_id=actor_id))
    if any(variant is None for variant in variants):
        return None, None  # the catalog changed: no story rather than a broken one
    po = _stock_po(vendor, variants, actor_id=actor_id)
    bill = _bill(vendor, po, actor_id=actor_id)
    _pay(vendor, bill, actor_id=actor_id)
    return po, bill


def _stock_po(vendor: Vendor, variants: list[Variant], *, actor_id: UUID) -> PurchaseOrder:
    """The PO, sent and received in part (one receipt), made once."""
    po = db.session.scalar(
        sa.select(PurchaseOrder).where(
            PurchaseOrder.vendor_id == vendor.id, PurchaseOrder.drop_ship.is_(False)
        )
    )
    if po is None:
        lines = [
            PoLineInput(variant_id=variant.id, packs=spec[4])
            for variant, spec in zip(variants, STOCK_LINES, strict=True)
        ]
        po = create_purchase_order(vendor, lines=lines, actor_id=actor_id, note=PO_NOTE)
    if po.status is PurchaseStatus.DRAFT:
        send_purchase_order(po, actor_id=actor_id)
    packs = {spec[0]: spec[5] for spec in STOCK_LINES}
    receive(
        po,
        quantities={line.id: packs.get(line.sku, 0) for line in po_lines(po)},
        receipt_key=demo_token("purchasing-receipt")[:40],
        actor_id=actor_id,
        note="First delivery: the tomato collections are back-ordered.",
    )
    db.session.refresh(po)
    return po


def _bill(vendor: Vendor, po: PurchaseOrder, *, actor_id: UUID) -> VendorBill:
    """The vendor's bill for the packs received, opened (posted), made once."""
    issued = utcnow().date() - timedelta(days=10)
    bill, _ = create_bill(
        vendor,
        po=po,
        lines=[item for _, item in prefill(po, vendor) if item.quantity > 0],
        issued_on=issued,
        bill_key=demo_token("purchasing-bill")[:40],
        vendor_number=VENDOR_BILL_NUMBER,
        actor_id=actor_id,
    )
    if bill.status is BillStatus.DRAFT:
        open_bill(bill, actor_id=actor_id)
        db.session.refresh(bill)
    return bill


def _pay(vendor: Vendor, bill: VendorBill, *, actor_id: UUID) -> None:
    """Two payments: part of the bill, then the rest (each once, by its key)."""
    today = utcnow().date()
    for name, days_ago in (("first", 5), ("rest", 0)):
        db.session.refresh(bill)
        owed = bill.total - bill.paid
        pay_bills(
            vendor,
            amounts={bill.id: min(FIRST_PAYMENT, owed) if name == "first" else owed},
            paid_on=today - timedelta(days=days_ago),
            method="bank_transfer",
            reference=f"{VENDOR_BILL_NUMBER} ({name})",
            payment_key=demo_token(f"purchasing-payment-{name}")[:40],
            actor_id=actor_id,
        )
    db.session.refresh(bill)


# ---------------------------------------------------------------- drop-ship from Fernway


def _olive_variant(actor_id: UUID) -> Variant | None:
    """The olive tree (added to the catalog once, with a picture), drop-shipped by Fernway."""
    vendor = _vendor(FERNWAY, actor_id=actor_id)
    product = db.session.scalar(sa.select(Product).where(Product.slug == OLIVE["slug"]))
    if product is None:
        product = _add_olive()
        if product is None:
            return None
    terms = SupplyInput(
        vendor_sku="FND-OLEA-120", unit_cost=OLIVE["cost"], drop_ship=True, preferred=True
    )
    return _supplies(vendor, OLIVE["sku"], terms, actor_id=actor_id)


def _add_olive() -> Product | None:
    category = db.session.scalar(sa.select(Category).where(Category.slug == OLIVE["category"]))
    if category is None:
        return None
    product = create_product(
        ProductInput(
            title=OLIVE["title"],
            slug=OLIVE["slug"],
            description_md=OLIVE["description"],
            status=ProductStatus.PUBLISHED,
            weight_grams=OLIVE["weight"],
            category_id=category.id,
            tags=["trees", "olive", "sent by the nursery"],
            # The nursery keeps the trees: the shop holds no stock of them.
            variants=[VariantInput(sku=OLIVE["sku"], price=OLIVE["price"], track_stock=False)],
        )
    )
    add_image(
        product,
        illustration(product.title, 0.3, 1),
        alt_text=f"Illustration of {product.title}",
    )
    return product


def _seed_drop_ship_order(variant: Variant) -> Order | None:
    """The demo customer's paid order of the olive tree (its PO is made by the payment)."""
    if demo_order("drop-ship") is None:
        customer = find_user_by_email(CUSTOMER)
        if customer is None:
            return None
        place_demo_order(customer, [(variant, 1)], "test", token=demo_token("drop-ship"))
    return demo_order("drop-ship")


def _confirm_drop_ship(order: Order) -> PurchaseOrder | None:
    """Fernway's answer on its link: confirmed, the tree shipped with a tracking number."""
    po = db.session.scalar(sa.select(PurchaseOrder).where(PurchaseOrder.order_id == order.id))
    if po is None:
        return None
    # Everything still waiting goes in the one parcel; nothing waits after the first run.
    parcel = {line.id: units for line, units in shippable(po, po_lines(po))}
    if parcel:
        record_vendor_reply(
            po,
            expected_on=utcnow().date(),
            shipped=parcel,
            form_key=demo_token("drop-ship-reply")[:32],
            **PARCEL,
        )
    db.session.refresh(po)
    return po


# ---------------------------------------------------------------- report


def _report(
    po: PurchaseOrder | None,
    bill: VendorBill | None,
    order: Order | None,
    drop_po: PurchaseOrder | None,
) -> list[str]:
    lines = [f"Purchasing at {SHOP} (tab Purchasing), as {OWNER}:"]
    if po is not None and bill is not None:
        units = ", ".join(
            f"{line.quantity_received * line.pack_size} x {line.sku}" for line in po_lines(po)
        )
        lines.append(
            f"  {po.number} to {HILLSIDE[0]} ({po.status.value}): received {units}; "
            f"bill {bill.reference} ({bill.vendor_number}) {format_money(bill.total)}, "
            f"{bill.status.value} in two payments."
        )
    if order is not None and drop_po is not None:
        parcel = db.session.scalar(
            sa.select(Shipment.tracking_number).where(Shipment.order_id == order.id).limit(1)
        )
        lines.append(
            f"  order {order.number} of {CUSTOMER} made drop-ship {drop_po.number} to "
            f"{FERNWAY[0]}; its parcel {parcel or '(not yet)'} shows at {tracking_link(order)}"
        )
    return lines
