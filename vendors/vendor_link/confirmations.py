"""The vendor's answers on the PO link: confirm, expected ship date, carrier and tracking, and
for a drop-ship PO the parcel sent straight to the customer.

``record_vendor_reply`` is the one service the page calls. A drop-ship parcel
becomes a shipment of the customer's order through ``mall.orders.fulfilment.
create_shipment`` for exactly the units the vendor typed (never "the rest": a
partial delivery stays partial), which emails the customer and shows on their
tracking page like any parcel of the shop. The PO's lines count those units as
received (a ``PurchaseReceipt`` keyed by the form, with no stock movement: drop-ship
goods never enter the shop's stock) and the PO moves to partially received or
received.

Units: the vendor counts the customer's units, and a drop-ship line is made in them
(pack size 1, ``vendors.vendor_link.dropship``). A line of pack size above 1 (made
before that) takes whole packs, or the last, partial one. Every count moves by a
conditional UPDATE and the form's key makes a double submit one shipment and one receipt.

A tracking number reaches the customer's tracking page and email: beyond the shop's
own rule (``carriers.clean_tracking_number``), the vendor's must be letters, digits
and hyphens, as carriers print them (``clean_vendor_tracking``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders import carriers
from mall.orders.errors import OrderError
from mall.orders.fulfilment import create_shipment, shipment_for_key
from mall.orders.models import Order, OrderEvent, OrderLine, Shipment
from mall.orders.shipment_queries import left_to_ship
from tenants.guard import scoped_get
from vendors.errors import PurchasingError
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseStatus,
)
from vendors.purchasing import status as po_status
from vendors.purchasing.wording import count

S = PurchaseStatus
# The vendor may answer a PO that was sent, until it is closed.
ANSWERABLE = frozenset({S.SENT, S.PARTIALLY_RECEIVED, S.RECEIVED})
FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
KEY_PREFIX = "vl-"  # the form's key as receipt and shipment key: "vl-<32 hex>"


@dataclass(frozen=True)
class ReplyOutcome:
    """What a reply did: confirmed the PO now, made a shipment, or repeated an earlier one."""

    confirmed_now: bool
    shipment: Shipment | None
    repeat: bool = False


def po_lines(po: PurchaseOrder) -> list[PurchaseOrderLine]:
    """The PO's lines in their order (one query)."""
    return list(
        db.session.scalars(
            sa.select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po.id)
            .order_by(PurchaseOrderLine.position, PurchaseOrderLine.id)
        )
    )


def packs_left(line: PurchaseOrderLine) -> int:
    """Packs of the line neither received (shipped) nor closed short."""
    return max(line.quantity_ordered - line.quantity_received - line.quantity_closed, 0)


def shippable(
    po: PurchaseOrder, lines: list[PurchaseOrderLine]
) -> list[tuple[PurchaseOrderLine, int]]:
    """(line, units the vendor may still send) of a drop-ship PO open for shipping.

    At most what the PO has left and what the customer's order line still waits for
    (the shop may have shipped or refunded some itself). One query.
    """
    if not po.drop_ship or po.order_id is None or po.status not in po_status.OPEN_FOR_RECEIPT:
        return []
    order_line_ids = [line.order_line_id for line in lines if line.order_line_id is not None]
    if not order_line_ids:
        return []
    rows = db.session.scalars(sa.select(OrderLine).where(OrderLine.id.in_(order_line_ids)))
    waiting = {found.id: left_to_ship(found) for found in rows}
    found = []
    for line in lines:
        units = min(packs_left(line) * line.pack_size, waiting.get(line.order_line_id, 0))
        if units > 0:
            found.append((line, units))
    return found


def clean_vendor_tracking(text: str | None) -> str:
    """The vendor's tracking number, stripped (``""`` for none): the shop's own rule (letters,
    digits and hyphens). Raises ``carriers.TrackingError`` with what to type."""
    return carriers.clean_tracking_number(text)


def record_vendor_reply(
    po: PurchaseOrder,
    *,
    expected_on: date | None,
    carrier: str,
    tracking_number: str,
    shipped: dict[UUID, int],
    form_key: str,
) -> ReplyOutcome:
    """Record the vendor's answer on ``po`` (the vendor has no account: no actor).

    Confirms the PO (``vendor_confirmed_at`` set once), keeps the expected ship
    date, carrier and tracking number given, and for a drop-ship PO ships
    ``shipped`` (PO line id -> the customer's units) to the customer. The same
    ``form_key`` again changes nothing and returns the first shipment. Raises
    ``PurchasingError`` with a sentence for the vendor.
    """
    if not isinstance(form_key, str) or not FORM_KEY.fullmatch(form_key):
        raise PurchasingError("This form has expired: reload the page and try again.")
    try:
        tracking_number = clean_vendor_tracking(tracking_number)
    except carriers.TrackingError as bad:
        raise PurchasingError(str(bad)) from None
    key = KEY_PREFIX + form_key
    if _receipt_for_key(key) is not None:
        return _repeat(po, key)
    if po.status not in ANSWERABLE:
        raise PurchasingError(
            f"{po.number} is {po_status.label(po.status)}: it cannot be confirmed now. "
            "Contact the shop."
        )
    shipment = None
    if any(shipped.values()):
        shipment = _ship(po, shipped, carrier=carrier, tracking_number=tracking_number, key=key)
    confirmed = _confirm(po, expected_on=expected_on, carrier=carrier, tracking=tracking_number)
    return ReplyOutcome(confirmed_now=confirmed, shipment=shipment)


def already_recorded(po: PurchaseOrder, form_key: object) -> bool:
    """Did this rendered form (its key) already record a parcel of ``po``? (A double click
    of a form whose units are no longer left must say so, not refuse them.)"""
    if not isinstance(form_key, str) or not FORM_KEY.fullmatch(form_key):
        return False
    earlier = _receipt_for_key(KEY_PREFIX + form_key)
    return earlier is not None and earlier.po_id == po.id


def _repeat(po: PurchaseOrder, key: str) -> ReplyOutcome:
    order = scoped_get(Order, po.order_id) if po.order_id else None
    earlier = shipment_for_key(order, key) if order is not None else None
    return ReplyOutcome(confirmed_now=False, shipment=earlier, repeat=True)


def _receipt_for_key(key: str) -> PurchaseReceipt | None:
    return db.session.scalar(sa.select(PurchaseReceipt).where(PurchaseReceipt.receipt_key == key))


def _confirm(po: PurchaseOrder, *, expected_on: date | None, carrier: str, tracking: str) -> bool:
    """Confirmed once (a conditional UPDATE); the date, carrier and number as last given."""
    confirmed = db.session.execute(
        sa.update(PurchaseOrder)
        .where(
            PurchaseOrder.tenant_id == po.tenant_id,
            PurchaseOrder.id == po.id,
            PurchaseOrder.vendor_confirmed_at.is_(None),
        )
        .values(vendor_confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    values: dict[str, object] = {}
    if expected_on is not None:
        values["expected_on"] = expected_on
    if carrier:
        values["carrier"] = carriers.clean_carrier(carrier)
    if tracking:
        values["tracking_number"] = tracking  # checked by ``record_vendor_reply``
    if values:
        db.session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.tenant_id == po.tenant_id, PurchaseOrder.id == po.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    db.session.refresh(po)
    return confirmed == 1


# ---------------------------------------------------------------- the drop-ship parcel


def _ship(
    po: PurchaseOrder, shipped: dict[UUID, int], *, carrier: str, tracking_number: str, key: str
) -> Shipment:
    if not po.drop_ship or po.order_id is None:
        raise PurchasingError(
            f"{po.number} is delivered to the shop: the shop records its arrival itself."
        )
    if po.status not in po_status.OPEN_FOR_RECEIPT:
        raise PurchasingError(
            f"{po.number} is {po_status.label(po.status)}: nothing is left to ship."
        )
    if not carrier or not tracking_number:
        raise PurchasingError("Enter the parcel's carrier and tracking number.")
    order = scoped_get(Order, po.order_id)
    if order is None:
        raise PurchasingError(f"The customer's order of {po.number} is gone: contact the shop.")
    lines = {line.id: line for line in po_lines(po)}
    plan = _plan(po, lines, shipped)
    try:
        shipment = create_shipment(
            order,
            quantities={line.order_line_id: units for line, units, _packs in plan},
            carrier=carrier,
            tracking_number=tracking_number,
            request_key=key,
            actor_id=None,
        )
    except OrderError as refused:
        raise PurchasingError(str(refused)) from None
    _receive(po, plan, key=key, shipment=shipment)
    _note_on_order(order, po)
    return shipment


def _plan(
    po: PurchaseOrder, lines: dict[UUID, PurchaseOrderLine], shipped: dict[UUID, int]
) -> list[tuple[PurchaseOrderLine, int, int]]:
    """(line, units, packs) of each line in the parcel; refused when a count does not fit."""
    plan = []
    for line_id, units in shipped.items():
        line = lines.get(line_id)
        if line is None or line.order_line_id is None:
            raise PurchasingError(f"An item is not part of {po.number}: reload the page.")
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise PurchasingError(f"Enter how many of “{line.description}” shipped as a number.")
        if units:
            plan.append((line, units, packs_for(po, line, units)))
    if not plan:
        raise PurchasingError("Enter how many of each item are in the parcel.")
    return plan


def packs_for(po: PurchaseOrder, line: PurchaseOrderLine, units: int) -> int:
    """The packs ``units`` of the customer's items take off ``line``: whole packs, or the last
    one in part. Raises ``PurchasingError`` beyond what the line has left."""
    left = packs_left(line)
    packs = -(-units // line.pack_size)
    if packs > left:
        raise PurchasingError(
            f"Only {count(left * line.pack_size, 'unit')} of “{line.description}” "
            f"{'is' if left * line.pack_size == 1 else 'are'} left to ship on "
            f"{po.number}, not {units:,}."
        )
    if units % line.pack_size and packs != left:
        raise PurchasingError(
            f"“{line.description}” ships in packs of {line.pack_size}: send whole packs, "
            "or all that is left."
        )
    return packs


def _receive(
    po: PurchaseOrder,
    plan: list[tuple[PurchaseOrderLine, int, int]],
    *,
    key: str,
    shipment: Shipment,
) -> None:
    """The parcel counts as received on the PO: a receipt, no stock movement, then the status."""
    receipt = PurchaseReceipt(
        tenant_id=po.tenant_id,
        po_id=po.id,
        receipt_key=key,
        note=f"Shipped by the vendor to the customer ({_parcel(shipment)}).",
        actor_id=None,
    )
    db.session.add(receipt)
    db.session.flush()
    for line, units, packs in plan:
        _take_packs(po, line, units, packs)
        db.session.add(
            PurchaseReceiptLine(
                tenant_id=po.tenant_id,
                receipt_id=receipt.id,
                po_line_id=line.id,
                packs=packs,
                units=units,
            )
        )
    db.session.flush()
    lines = po_lines(po)
    for line in lines:
        db.session.refresh(line)
    done = all(packs_left(line) == 0 for line in lines)
    po_status.move(
        po, S.RECEIVED if done else S.PARTIALLY_RECEIVED, leaving=po_status.OPEN_FOR_RECEIPT
    )


def _take_packs(po: PurchaseOrder, line: PurchaseOrderLine, units: int, packs: int) -> None:
    taken = db.session.execute(
        sa.update(PurchaseOrderLine)
        .where(
            PurchaseOrderLine.tenant_id == line.tenant_id,
            PurchaseOrderLine.id == line.id,
            PurchaseOrderLine.quantity_received + PurchaseOrderLine.quantity_closed + packs
            <= PurchaseOrderLine.quantity_ordered,
        )
        .values(quantity_received=PurchaseOrderLine.quantity_received + packs)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:  # another parcel of the same line got there first
        raise PurchasingError(
            f"“{line.description}” changed meanwhile on {po.number}: reload the page."
        )


def _parcel(shipment: Shipment) -> str:
    name = carriers.carrier_name(shipment.carrier)
    return f"{name}, {shipment.tracking_number}" if shipment.tracking_number else name


def _note_on_order(order: Order, po: PurchaseOrder) -> None:
    # For the shop's staff: the parcel came from the vendor (the customer's timeline
    # shows only its own kinds of event, so "dropship" stays off it).
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind="dropship",
            message=f"Shipped by the vendor of {po.number} (drop-ship).",
            actor_id=None,
        )
    )
    db.session.flush()
