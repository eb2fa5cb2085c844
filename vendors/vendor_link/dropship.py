"""Drop-ship: a paid order's lines of drop-ship products become one PO per vendor, sent at once.

``on_order_paid`` listens to ``mall.signals.order_paid`` (in the order's shop context,
inside the paying transaction: it flushes only). A line drop-ships when its variant
has a ``vendor_products`` row with ``drop_ship`` from an active vendor; with several,
the preferred one, else the first by name. Each vendor gets one PO
(``create_drop_ship_pos``) carrying only its own lines and the customer's name and
shipping address, sealed on the PO (``ship_to``; opened only for that vendor's
document and link page).

Exactly once: the partial unique index ``uq_purchase_orders_order_vendor`` (one PO per
vendor per order) is the guard. Each PO is inserted inside a SAVEPOINT; a replayed
payment event finds the row first, or loses the race at the index and rolls back its
savepoint only, and does nothing. A vendor that cannot take the PO (no email
address: it stays a draft for the shop to send) never fails the payment: the
order's staff timeline says why.

Units: a drop-ship line orders exactly the units the customer bought, even from a
vendor that sells its stock in packs: the vendor ships units to the customer, so the
line has pack size 1 and the cost of one unit of the vendor's pack
(``vendors.purchasing.services.build_line``). The PO, its email and PDF, the vendor's
page and the receipts all count the same units.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.accounts.addresses import PostalAddress
from mall.extensions import db
from mall.orders.models import Order, OrderEvent, OrderLine
from mall.signals import order_paid
from tenants.keys import CiphertextInvalid, KeyDestroyed
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, Vendor, VendorProduct, VendorStatus
from vendors.purchasing.services import PoLineInput, create_purchase_order, send_purchase_order

log = logging.getLogger(__name__)


def on_order_paid(order: Order, **_: Any) -> None:
    """Make and send the order's drop-ship POs, once (in the shop's context, flush only)."""
    create_drop_ship_pos(order)


def connect() -> None:
    """Subscribe (a module-level function, so blinker's weak reference stays alive)."""
    order_paid.connect(on_order_paid)


def create_drop_ship_pos(order: Order) -> list[PurchaseOrder]:
    """One PO per drop-ship vendor of the paid ``order``, each sent; the POs made now.

    A replay (the same order paid again, the signal twice) makes nothing new. Call in
    the order's shop context; flushes, never commits.
    """
    # The order's lines are usually loaded already (the payment read them).
    lines = [line for line in order.lines if line.requires_shipping]
    chosen = drop_ship_vendors({line.variant_id for line in lines})
    by_vendor: dict[UUID, list[tuple[OrderLine, VendorProduct]]] = defaultdict(list)
    for line in lines:
        if line.variant_id in chosen:
            supplied = chosen[line.variant_id]
            by_vendor[supplied.vendor_id].append((line, supplied))
    if not by_vendor:
        return []
    vendors = _vendors(by_vendor)
    ship_to = ship_to_json(order)
    made = []
    for vendor in sorted(vendors.values(), key=lambda found: (found.name, found.id)):
        po = _po_for_vendor(order, vendor, by_vendor[vendor.id], ship_to=ship_to)
        if po is not None:
            made.append(po)
            _send(order, po)
    return made


def drop_ship_vendors(variant_ids: set[UUID]) -> dict[UUID, VendorProduct]:
    """Variant id -> the vendor product that drop-ships it (preferred, else first by name)."""
    if not variant_ids:
        return {}
    rows = db.session.execute(
        sa.select(VendorProduct)
        .join(
            Vendor,
            sa.and_(
                Vendor.tenant_id == VendorProduct.tenant_id, Vendor.id == VendorProduct.vendor_id
            ),
        )
        .where(
            VendorProduct.variant_id.in_(sorted(variant_ids)),
            VendorProduct.drop_ship.is_(True),
            Vendor.status == VendorStatus.ACTIVE,
        )
        .order_by(VendorProduct.preferred.desc(), Vendor.name, Vendor.id)
    ).scalars()
    chosen: dict[UUID, VendorProduct] = {}
    for supplied in rows:
        chosen.setdefault(supplied.variant_id, supplied)
    return chosen


def ship_to_json(order: Order) -> str | None:
    """The customer's name, address rows and phone from the order's sealed copy, as JSON.

    The shape the PO's document reads: ``{"name", "address": [rows], "phone"}``. None
    when the order has no shipping address (or it can no longer be read).
    """
    try:
        sealed = order.shipping_address_json
    except (KeyDestroyed, CiphertextInvalid):
        return None
    if not sealed:
        return None
    address = PostalAddress.from_json(sealed)
    rows = address.lines()
    return json.dumps({"name": address.name, "address": rows[1:], "phone": address.phone})


def _vendors(by_vendor: dict[UUID, Any]) -> dict[UUID, Vendor]:
    rows = db.session.scalars(sa.select(Vendor).where(Vendor.id.in_(sorted(by_vendor))))
    return {vendor.id: vendor for vendor in rows}


def _existing(order: Order, vendor: Vendor) -> PurchaseOrder | None:
    return db.session.scalar(
        sa.select(PurchaseOrder).where(
            PurchaseOrder.order_id == order.id, PurchaseOrder.vendor_id == vendor.id
        )
    )


def _po_for_vendor(
    order: Order,
    vendor: Vendor,
    items: list[tuple[OrderLine, VendorProduct]],
    *,
    ship_to: str | None,
) -> PurchaseOrder | None:
    """The vendor's new PO for the order, or None when it exists already (a replay) or the
    vendor refused it (noted on the order)."""
    if _existing(order, vendor) is not None:
        return None
    lines = [
        PoLineInput(
            variant_id=line.variant_id,
            packs=line.quantity,  # the customer's units (a drop-ship line's pack is one)
            order_line_id=line.id,
        )
        for line, _supplied in items
    ]
    savepoint = db.session.begin_nested()
    try:
        po = create_purchase_order(
            vendor,
            lines=lines,
            actor_id=None,
            note=f"Drop-ship for order {order.number}: send to the address below.",
            drop_ship=True,
            order_id=order.id,
            ship_to_json=ship_to,
        )
        savepoint.commit()
    except IntegrityError:
        # Another delivery of the same payment made it first (the partial unique index);
        # any other integrity error is a bug and goes up.
        savepoint.rollback()
        if _existing(order, vendor) is None:
            raise
        return None
    except PurchasingError as refused:
        savepoint.rollback()
        _note(order, f"No drop-ship purchase order for {vendor.name}: {refused}")
        return None
    return po


def _send(order: Order, po: PurchaseOrder) -> None:
    savepoint = db.session.begin_nested()
    try:
        send_purchase_order(po, actor_id=None)
        savepoint.commit()
    except PurchasingError as refused:
        savepoint.rollback()
        db.session.refresh(po)
        _note(order, f"Drop-ship purchase order {po.number} is a draft: {refused}")


def _note(order: Order, message: str) -> None:
    # Staff only ("dropship" is not a customer event); ids only in the log.
    log.info("drop-ship: order %s needs the shop's attention", order.id)
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind="dropship",
            message=message[:300],
            actor_id=None,
        )
    )
    db.session.flush()
