"""Receiving goods against a purchase order, and closing the rest short.

One "Receive" submit is one ``PurchaseReceipt`` (its ``receipt_key`` is the form's
key: a double click or a retried POST finds the first receipt and returns it). Each
line's packs are added to ``quantity_received`` by a conditional UPDATE that carries
the limit (ordered plus the shop's ``over_receipt_bp`` tolerance), so two receipts
at once can never take more than the limit together; the units (packs x the line's
pack size) enter stock through ``adjust_stock`` as a ``receipt`` movement. All of it
happens in a savepoint: a refused line leaves nothing of the receipt behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.catalog.errors import CatalogError
from mall.catalog.models import StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.db import utcnow
from mall.extensions import db
from mall.numbers import MAX_COUNT, check_whole
from tenants.guard import scoped_get
from vendors.errors import PurchasingError
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseStatus,
    PurchasingSettings,
)
from vendors.purchasing import status
from vendors.purchasing.wording import count

MAX_KEY = 40
MAX_RECEIPT_NOTE = 500


def over_receipt_bp() -> int:
    """The shop's tolerance over the ordered quantity, in basis points (0 without settings)."""
    settings = db.session.scalar(sa.select(PurchasingSettings))
    return settings.over_receipt_bp if settings is not None else 0


def receipt_limit(line: PurchaseOrderLine, tolerance_bp: int) -> int:
    """The most packs the line may have received: ordered plus the tolerance, rounded down."""
    return line.quantity_ordered + line.quantity_ordered * tolerance_bp // 10_000


def receive(
    po: PurchaseOrder,
    *,
    quantities: Mapping[UUID, int],
    receipt_key: str,
    actor_id: UUID | None,
    note: str = "",
) -> PurchaseReceipt:
    """Receive ``quantities`` (packs per PO line id; zeros ignored) into stock.

    Only a sent or partially received stock PO; the PO moves to partially_received or
    received. The same ``receipt_key`` twice returns the first receipt. Refused with a
    message naming the line: over the limit, a line not on the PO, a deleted product.
    """
    key = (receipt_key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise PurchasingError("This form has expired: open the purchase order again.")
    earlier = _receipt_by_key(key)
    if earlier is not None:
        return _replayed(po, earlier)
    if po.drop_ship:
        raise PurchasingError(
            f"{po.number} is drop-shipped: the vendor ships to the customer, "
            "nothing comes into stock."
        )
    status.require(po, "receive")
    wanted = _wanted(po, quantities)
    text = (note or "").replace("\x00", "").strip()[:MAX_RECEIPT_NOTE]
    try:
        with db.session.begin_nested():
            return _record(po, wanted, key=key, note=text, actor_id=actor_id)
    except (IntegrityError, PurchasingError):
        # The same form submitted twice at once: the other request's receipt stands (it
        # may also have moved the PO past receiving while this one waited for its row).
        earlier = _receipt_by_key(key)
        if earlier is None:
            raise
        return _replayed(po, earlier)


def _receipt_by_key(key: str) -> PurchaseReceipt | None:
    return db.session.scalar(sa.select(PurchaseReceipt).where(PurchaseReceipt.receipt_key == key))


def _replayed(po: PurchaseOrder, receipt: PurchaseReceipt) -> PurchaseReceipt:
    if receipt.po_id != po.id:
        raise PurchasingError("This form has expired: open the purchase order again.")
    db.session.refresh(po)
    return receipt


def _wanted(
    po: PurchaseOrder, quantities: Mapping[UUID, int]
) -> list[tuple[PurchaseOrderLine, int]]:
    lines = {line.id: line for line in po.lines}
    wanted = []
    for line_id, packs in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise PurchasingError(
                f"That line is not on {po.number}: open the purchase order again."
            )
        problem = check_whole(packs, minimum=0, maximum=MAX_COUNT)
        if problem:
            raise PurchasingError(f"{line.description}: {problem}")
        if packs:
            wanted.append((line, packs))
    if not wanted:
        raise PurchasingError("Enter how many packs arrived on at least one line.")
    return sorted(wanted, key=lambda pair: pair[0].position)


def _record(
    po: PurchaseOrder,
    wanted: list[tuple[PurchaseOrderLine, int]],
    *,
    key: str,
    note: str,
    actor_id: UUID | None,
) -> PurchaseReceipt:
    status.hold(po, "receive")  # a cancel or close meanwhile waits, then finds it received
    receipt = PurchaseReceipt(po_id=po.id, receipt_key=key, note=note, actor_id=actor_id)
    db.session.add(receipt)
    db.session.flush()  # the key's unique index: a concurrent twin fails here
    tolerance = over_receipt_bp()
    for line, packs in wanted:
        units = _take(po, line, packs, tolerance)
        _into_stock(po, line, units, actor_id=actor_id)
        db.session.add(
            PurchaseReceiptLine(receipt_id=receipt.id, po_line_id=line.id, packs=packs, units=units)
        )
    db.session.flush()
    _advance(po)
    db.session.refresh(receipt)
    return receipt


def _take(po: PurchaseOrder, line: PurchaseOrderLine, packs: int, tolerance: int) -> int:
    """Add ``packs`` to the line's received quantity within its limit; the units they hold."""
    units = packs * line.pack_size
    if units > MAX_COUNT:
        raise PurchasingError(f"{line.description}: that is more than {MAX_COUNT:,} units at once.")
    limit = receipt_limit(line, tolerance)
    moved = db.session.execute(
        sa.update(PurchaseOrderLine)
        .where(
            PurchaseOrderLine.tenant_id == line.tenant_id,
            PurchaseOrderLine.id == line.id,
            PurchaseOrderLine.quantity_received + packs <= limit,
        )
        .values(quantity_received=PurchaseOrderLine.quantity_received + packs)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(line, ["quantity_received"])
    if moved != 1:
        left = max(limit - line.quantity_received, 0)
        raise PurchasingError(
            f"{line.description}: {count(line.quantity_ordered, 'pack')} ordered, "
            f"{line.quantity_received:,} received; at most {left:,} more can be received."
        )
    return units


def _into_stock(
    po: PurchaseOrder, line: PurchaseOrderLine, units: int, *, actor_id: UUID | None
) -> None:
    variant = scoped_get(Variant, line.variant_id)
    if variant is None:
        raise PurchasingError(
            f"{line.description}: the product was deleted, so it cannot go into stock. "
            "Close the line short instead."
        )
    try:
        adjust_stock(variant, units, reason=StockReason.RECEIPT, note=po.number, actor_id=actor_id)
    except CatalogError as error:
        raise PurchasingError(f"{line.description}: {error}") from None


def _advance(po: PurchaseOrder) -> None:
    """partially_received, or received once every line has what was ordered (or closed)."""
    outstanding = db.session.scalar(
        sa.select(
            sa.exists().where(
                PurchaseOrderLine.po_id == po.id,
                PurchaseOrderLine.quantity_received + PurchaseOrderLine.quantity_closed
                < PurchaseOrderLine.quantity_ordered,
            )
        )
    )
    done = not outstanding
    target = PurchaseStatus.RECEIVED if done else PurchaseStatus.PARTIALLY_RECEIVED
    status.move(po, target, leaving=status.OPEN_FOR_RECEIPT)


def close_short(po: PurchaseOrder, *, actor_id: UUID | None) -> bool:
    """End a sent or partly received PO: what has not arrived on each line is closed (it will
    not come) and the PO is closed. A repeat returns False."""
    if not status.step(po, "close_short", PurchaseStatus.CLOSED, closed_at=utcnow()):
        return False
    db.session.execute(
        sa.update(PurchaseOrderLine)
        .where(
            PurchaseOrderLine.tenant_id == po.tenant_id,
            PurchaseOrderLine.po_id == po.id,
            PurchaseOrderLine.quantity_received < PurchaseOrderLine.quantity_ordered,
        )
        .values(
            quantity_closed=PurchaseOrderLine.quantity_ordered - PurchaseOrderLine.quantity_received
        )
        .execution_options(synchronize_session=False)
    )
    for line in po.lines:
        db.session.refresh(line, ["quantity_closed"])
    return True
