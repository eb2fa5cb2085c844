"""The demo's purchasing (``vendors.demo``, a step of ``flask mall seed-demo``): Green Thumb's PO to
Hillside Seed Co. sent, received in part into stock (packs of ten), billed for what came and the
bill paid in two payments; a drop-ship olive tree the demo customer bought made a PO to Fernway
Nursery Direct by itself, whose parcel's tracking number reaches the customer's tracking page.
Seeding twice changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockMovement, StockReason, Variant
from mall.demo.money import demo_order
from mall.demo.people import seed_demo
from mall.extensions import db
from mall.orders.entry.models import SalesDocument
from mall.orders.models import Order, OrderStatus, Shipment
from mall.orders.tracking import tracking_link
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant
from vendors.demo import FERNWAY, HILLSIDE, OLIVE, PARCEL, SHOP, VENDOR_BILL_NUMBER
from vendors.models import (
    BillPayment,
    BillStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseStatus,
    Vendor,
    VendorBill,
    VendorProduct,
)


@pytest.fixture
def seeded(app_ctx):
    report = seed_demo()
    db.session.commit()
    return report


def green() -> Tenant:
    return db.session.scalars(sa.select(Tenant).where(Tenant.slug == SHOP)).one()


def vendor(name: str) -> Vendor:
    return db.session.scalars(sa.select(Vendor).where(Vendor.name == name)).one()


def counts() -> dict[str, int]:
    tables = (
        Vendor,
        VendorProduct,
        PurchaseOrder,
        PurchaseOrderLine,
        PurchaseReceipt,
        VendorBill,
        BillPayment,
        SalesDocument,
        Order,
        Shipment,
        StockMovement,
    )
    with all_tenants("test: count what the demo's purchasing made"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in tables
        }


def test_the_stock_po_was_sent_received_in_part_into_stock_in_units_billed_and_paid(seeded):
    with tenant_context(green()):
        hillside = vendor(HILLSIDE[0])
        assert hillside.payment_terms_days == 30
        assert hillside.contact_name == HILLSIDE[1]  # sealed, readable through the app
        po = db.session.scalars(
            sa.select(PurchaseOrder).where(PurchaseOrder.vendor_id == hillside.id)
        ).one()
        assert po.status is PurchaseStatus.PARTIALLY_RECEIVED and po.sent_at is not None
        lines = {line.sku: line for line in po.lines}
        assert {
            sku: (line.quantity_ordered, line.quantity_received, line.pack_size)
            for sku, line in lines.items()
        } == {
            "GT-BAS": (4, 4, 10),
            "GT-TOM-6VARIETIES": (3, 1, 10),
        }
        # One receipt: stock moved in units (packs x pack size), through stock movements.
        receipts = db.session.scalars(
            sa.select(PurchaseReceipt).where(PurchaseReceipt.po_id == po.id)
        ).all()
        assert len(receipts) == 1
        moved = {
            db.session.get(Variant, (po.tenant_id, m.variant_id)).sku: m.delta
            for m in db.session.scalars(
                sa.select(StockMovement).where(
                    StockMovement.reason == StockReason.RECEIPT, StockMovement.note == po.number
                )
            )
        }
        assert moved == {"GT-BAS": 40, "GT-TOM-6VARIETIES": 10}
        # Billed for what was received (the vendor's default policy), and paid in two parts.
        bill = db.session.scalars(sa.select(VendorBill).where(VendorBill.po_id == po.id)).one()
        assert bill.vendor_number == VENDOR_BILL_NUMBER
        assert bill.total == 4 * 1500 + 1 * 4200
        assert bill.status is BillStatus.PAID and bill.paid == bill.total
        assert {sku: line.quantity_billed for sku, line in lines.items()} == {
            "GT-BAS": 4,
            "GT-TOM-6VARIETIES": 1,
        }
        payments = db.session.scalars(
            sa.select(BillPayment).where(BillPayment.vendor_id == hillside.id)
        ).all()
        assert sorted(p.amount for p in payments) == [5000, 5200]
    assert any(po.number in line and "paid" in line for line in seeded)


def test_the_drop_ship_order_made_a_po_whose_tracking_number_reaches_the_customer(seeded, client):
    order = demo_order("drop-ship")
    assert order is not None and order.tenant_id == green().id
    with tenant_context(green()):
        fernway = vendor(FERNWAY[0])
        po = db.session.scalars(
            sa.select(PurchaseOrder).where(PurchaseOrder.order_id == order.id)
        ).one()
        assert po.drop_ship and po.vendor_id == fernway.id
        assert po.vendor_confirmed_at is not None
        assert po.tracking_number == PARCEL["tracking_number"]
        assert [line.sku for line in po.lines] == [OLIVE["sku"]]
        shipments = db.session.scalars(
            sa.select(Shipment).where(Shipment.order_id == order.id)
        ).all()
        assert [(s.carrier, s.tracking_number) for s in shipments] == [
            (PARCEL["carrier"], PARCEL["tracking_number"])
        ]
        db.session.refresh(order)
        assert order.status is OrderStatus.FULFILLED
        url = tracking_link(order)
    page = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    assert PARCEL["tracking_number"] in page.get_data(as_text=True)
    assert any(po.number in line and PARCEL["tracking_number"] in line for line in seeded)


def test_seeding_twice_changes_nothing(seeded):
    first = counts()
    report = seed_demo()
    db.session.commit()
    assert counts() == first
    assert first["purchase_orders"] >= 2 and first["bill_payments"] >= 2
    assert any(VENDOR_BILL_NUMBER in line for line in report)
