"""Vendor bills, credit notes, payments, payables and vendor statements (back office).

The factories make rows straight from the models (a vendor, a received PO, an open bill,
a payment), so the crawler and the bills tests need nothing from the other purchasing
pages.
"""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "vendor_bills.bills",
    "vendor_bills.new_bill",
    "vendor_bills.bill",
    "vendor_bills.open_bill",
    "vendor_bills.void_bill",
    "vendor_bills.review_bill",
    "vendor_bills.credit_bill",
    "vendor_bills.new_payment",
    "vendor_bills.payment",
    "vendor_bills.payables",
    "vendor_bills.payables_csv",
    "vendor_bills.statement",
    "vendor_bills.statement_csv",
}


def make_vendor(shop, *, name: str = "Acme Supplies", terms: int = 30, policy: str = "received"):
    """A vendor of ``shop`` (flushed, in the shop's context)."""
    from vendors.models import BillingPolicy, Vendor

    vendor = Vendor(
        tenant_id=shop.id,
        name=name,
        payment_terms_days=terms,
        billing_policy=BillingPolicy(policy),
    )
    db.session.add(vendor)
    db.session.flush()
    return vendor


def make_po(shop, vendor, *, lines=((10, 10, 500),), status: str = "received", number=None):
    """A PO of ``vendor`` with ``(ordered, received, unit cost)`` lines (flushed)."""
    from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus

    po = PurchaseOrder(
        tenant_id=shop.id,
        number=number or f"PO-{uuid4().hex[:8]}",
        vendor_id=vendor.id,
        status=PurchaseStatus(status),
        currency="USD",
    )
    db.session.add(po)
    db.session.flush()
    for position, (ordered, received, cost) in enumerate(lines):
        db.session.add(
            PurchaseOrderLine(
                tenant_id=shop.id,
                po_id=po.id,
                position=position,
                variant_id=uuid4(),
                description=f"Widget {position + 1}",
                unit_cost=cost,
                quantity_ordered=ordered,
                quantity_received=received,
            )
        )
    db.session.flush()
    db.session.refresh(po, ["lines"])
    return po


def make_open_bill(shop, *, vendor=None):
    """An open bill of ``shop`` for a received PO line (flushed): the bill."""
    from datetime import date

    from vendors.bills import services

    vendor = vendor or make_vendor(shop)
    po = make_po(shop, vendor)
    bill, _ = services.create_bill(
        vendor,
        po=po,
        lines=[services.BillLineInput(10, 500, po_line_id=po.lines[0].id)],
        issued_on=date(2026, 11, 1),
        bill_key=uuid4().hex,
        actor_id=None,
    )
    services.open_bill(bill, actor_id=None)
    return bill


def _bill_id(shop):
    from tenants.context import tenant_context

    with tenant_context(shop):
        bill = make_open_bill(shop)
        db.session.commit()
        return bill.id


def _payment_id(shop):
    from datetime import date

    from tenants.context import tenant_context
    from vendors.bills.payments import pay_bills
    from vendors.bills.services import get_vendor

    with tenant_context(shop):
        bill = make_open_bill(shop)
        payment, _ = pay_bills(
            get_vendor(bill.vendor_id),
            amounts={bill.id: 100},
            paid_on=date(2026, 11, 2),
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()
        return payment.id


# ``vendor_id`` (the statement) is made by ``tests/crawl/vendors_directory.py``.
OBJECT_IDS = {"bill_id": _bill_id, "payment_id": _payment_id}
