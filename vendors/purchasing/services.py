"""The core of purchase orders: create a draft, read one, send it to the vendor.

A PO line snapshots what the vendor supplies (description, SKUs, pack size, cost
per pack) when it is added, so later changes to the catalog or to the vendor's
prices leave sent POs as they were. A drop-ship line counts the customer's units
(pack size 1, the cost of one unit of the vendor's pack): the vendor ships units to
the customer, so the PO, its email, the vendor's page and the receipts all read units.
Numbers come from ``numbers.take_purchase_number`` (gap-free per shop). Sending is a
conditional UPDATE (``status``) and an email to the vendor sent by a job after commit
(``jobs.send_po_email``: ids only).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Variant, option_label
from mall.db import new_id, utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.money import check_amount, currency
from mall.numbers import MAX_COUNT, check_whole
from tenants.guard import scoped_get
from tenants.models import Tenant
from vendors.errors import PurchasingError
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseStatus,
    Vendor,
    VendorProduct,
    VendorStatus,
)
from vendors.purchasing import status
from vendors.purchasing.jobs import send_po_email
from vendors.purchasing.numbers import take_purchase_number
from vendors.purchasing.wording import count

MAX_NOTE = 1000
MAX_LINES = 200


class PoLineInput(NamedTuple):
    """A line to order: packs of a variant; ``unit_cost`` None takes the vendor's cost."""

    variant_id: UUID
    packs: int
    unit_cost: int | None = None
    order_line_id: UUID | None = None


def get_purchase_order(po_id: UUID | str | None) -> PurchaseOrder | None:
    """The PO of the shop in context with this id, or None (another shop's id too)."""
    return scoped_get(PurchaseOrder, po_id)


def get_vendor(vendor_id: UUID | str | None) -> Vendor | None:
    """The vendor of the shop in context with this id, or None."""
    return scoped_get(Vendor, vendor_id)


def create_purchase_order(
    vendor: Vendor,
    *,
    lines: list[PoLineInput],
    actor_id: UUID | None,
    note: str = "",
    drop_ship: bool = False,
    order_id: UUID | None = None,
    ship_to_json: str | dict[str, Any] | None = None,
    po_id: UUID | None = None,
) -> PurchaseOrder:
    """A draft PO to ``vendor`` with ``lines`` (each snapshotted from the vendor product).

    ``po_id``: the id to give it (the new-PO form's key: a second submit of the same form
    fails on the primary key, and the page opens the first PO instead).

    Refused (``PurchasingError``) for an archived vendor, a variant the vendor does not
    supply, packs out of range or below the vendor's minimum, or a cost out of range.
    """
    if vendor.status is not VendorStatus.ACTIVE:
        raise PurchasingError(f"{vendor.name} is archived: activate it before ordering from it.")
    if len(lines) > MAX_LINES:
        raise PurchasingError(f"A purchase order holds at most {MAX_LINES} lines.")
    po = PurchaseOrder(
        id=po_id or new_id(),
        number=take_purchase_number(_shop_of(vendor), "po"),
        vendor_id=vendor.id,
        status=PurchaseStatus.DRAFT,
        currency=currency(),
        drop_ship=drop_ship,
        order_id=order_id,
        note=clean_note(note),
        created_by_id=actor_id,
    )
    if ship_to_json is not None:
        po.ship_to_json = (
            ship_to_json if isinstance(ship_to_json, str) else json.dumps(ship_to_json)
        )
    db.session.add(po)
    db.session.flush()
    seen: set[UUID] = set()
    for position, item in enumerate(lines):
        if item.order_line_id is None:
            if item.variant_id in seen:
                raise PurchasingError("Each product appears once on a purchase order.")
            seen.add(item.variant_id)
        db.session.add(build_line(po, vendor, item, position=position))
    db.session.flush()
    db.session.refresh(po, ["lines"])
    return po


def build_line(
    po: PurchaseOrder, vendor: Vendor, item: PoLineInput, *, position: int
) -> PurchaseOrderLine:
    """A new line of ``po``: the vendor product's snapshot, checked (not added)."""
    variant = scoped_get(Variant, item.variant_id)
    supplied = _vendor_product(vendor, item.variant_id) if variant is not None else None
    if variant is None or supplied is None:
        raise PurchasingError(
            f"{vendor.name} does not supply that product: add it to the vendor first."
        )
    description = _description(variant)
    check_packs(item.packs, description=description)
    if not po.drop_ship and item.packs < supplied.min_order_packs:
        raise PurchasingError(
            f"{description}: {vendor.name} takes orders of at least "
            f"{count(supplied.min_order_packs, 'pack')}."
        )
    pack_size, vendor_cost = supplied.pack_size, supplied.unit_cost
    if po.drop_ship:
        # The vendor ships the customer's units, not packs: the line counts units.
        pack_size, vendor_cost = 1, unit_cost_of_pack(vendor_cost, supplied.pack_size)
    unit_cost = vendor_cost if item.unit_cost is None else item.unit_cost
    check_cost(unit_cost, description=description)
    return PurchaseOrderLine(
        po_id=po.id,
        position=position,
        variant_id=variant.id,
        description=description[:300],
        sku=variant.sku,
        vendor_sku=supplied.vendor_sku,
        pack_size=pack_size,
        unit_cost=unit_cost,
        quantity_ordered=item.packs,
        order_line_id=item.order_line_id,
    )


def unit_cost_of_pack(pack_cost: int, pack_size: int) -> int:
    """The cost of one unit of a pack, in minor units, rounded half up (a drop-ship line's cost)."""
    size = max(pack_size, 1)
    return (pack_cost * 2 + size) // (size * 2)


def check_packs(packs: int, *, description: str) -> None:
    """Refuse a number of packs out of range, naming the line."""
    problem = check_whole(packs, minimum=1, maximum=MAX_COUNT)
    if problem:
        raise PurchasingError(f"{description}: {problem}")


def check_cost(unit_cost: int, *, description: str) -> None:
    """Refuse a cost per pack out of range, naming the line."""
    problem = check_amount(unit_cost)
    if problem:
        raise PurchasingError(f"{description}: {problem}")


def clean_note(note: str | None) -> str:
    """The note to the vendor as stored: trimmed, NUL-free, at most ``MAX_NOTE`` characters."""
    text = (note or "").replace("\x00", "").strip()
    if len(text) > MAX_NOTE:
        raise PurchasingError(f"Keep the note under {MAX_NOTE} characters.")
    return text


def send_purchase_order(
    po: PurchaseOrder, *, actor_id: UUID | None, link_version: int | None = None
) -> bool:
    """Send the PO to its vendor by email (after commit, through a job).

    Without ``link_version``: draft -> sent; a repeat (already sent) returns False.
    With the ``link_version`` the page showed: send a sent PO again, under a new link
    version (the links sent before stop working; ``sent_at`` keeps the first send); a
    repeat of that click returns False.
    Refused for a vendor without an email address (use ``mark_sent`` for a phone order)
    and for a PO without lines.
    """
    vendor = _vendor_of(po)
    if not vendor.email:
        raise PurchasingError(
            f"{vendor.name} has no email address: add one to the vendor, "
            "or mark the purchase order as sent if you ordered by phone."
        )
    if link_version is None:
        moved = _to_sent(po)
    else:
        status.require(po, "resend")
        moved = status.move(
            po,
            PurchaseOrder.status,  # unchanged: only the link version moves
            leaving=status.OPEN_FOR_RECEIPT,
            where=[PurchaseOrder.link_version == link_version],
            # ``sent_at`` stays the first send: the page counts the resends by version.
            link_version=PurchaseOrder.link_version + 1,
        )
    if moved:
        enqueue_after_commit(send_po_email, str(po.id), po.link_version)
    return moved


def mark_sent(po: PurchaseOrder, *, actor_id: UUID | None) -> bool:
    """draft -> sent without an email (ordered by phone); a repeat returns False."""
    return _to_sent(po)


def _to_sent(po: PurchaseOrder) -> bool:
    if po.status is PurchaseStatus.DRAFT and not po.lines:
        raise PurchasingError(f"{po.number} has no lines: add what you order first.")
    return status.step(po, "send", PurchaseStatus.SENT, sent_at=utcnow())


def _shop_of(vendor: Vendor) -> Tenant:
    return db.session.get(Tenant, vendor.tenant_id)


def _vendor_of(po: PurchaseOrder) -> Vendor:
    return scoped_get(Vendor, po.vendor_id)


def _vendor_product(vendor: Vendor, variant_id: UUID) -> VendorProduct | None:
    return db.session.scalar(
        sa.select(VendorProduct).where(
            VendorProduct.vendor_id == vendor.id, VendorProduct.variant_id == variant_id
        )
    )


def _description(variant: Variant) -> str:
    options = option_label(variant, variant.product)
    return f"{variant.product.title} — {options}" if options else variant.product.title
