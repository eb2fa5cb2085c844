"""Drop-ship POs of an order the customer no longer gets: cancelled, and the vendor told.

``on_order_cancelled`` and ``on_order_refunded`` listen to ``mall.signals`` (in the
order's shop context, inside the transaction that cancelled or refunded it: they
flush only). A drop-ship PO is withdrawn when the whole order was cancelled, or when
every unit of its lines was refunded:

- nothing of it shipped yet: the PO is cancelled through
  ``vendors.purchasing.lifecycle.cancel_purchase_order`` (one conditional UPDATE: a
  replayed signal finds it cancelled and does nothing), its vendor link stops
  answering, and a job (ids only) emails the vendor a short cancellation notice;
- some of it shipped already: nothing is cancelled; the order's staff timeline says
  so once, and staff settle it with the vendor.

A PO that cannot be cancelled for another reason (it was billed) is noted the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.mail import deliver, render_message
from mall.orders.models import Order, OrderEvent, OrderLine
from mall.signals import order_cancelled, order_refunded
from tenants.guard import scoped_get
from tenants.keys import ERASED, UNREADABLE
from tenants.models import Tenant
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus, Vendor
from vendors.purchasing.lifecycle import cancel_purchase_order

log = logging.getLogger(__name__)

S = PurchaseStatus
# A PO in these states is over: nothing to withdraw, nothing to tell.
SETTLED = frozenset({S.CANCELLED, S.CLOSED})
EVENT_KIND = "dropship"  # staff only: not shown on the customer's tracking page


def on_order_cancelled(order: Order, **_: Any) -> None:
    """The whole order was cancelled: withdraw each of its drop-ship POs."""
    withdraw_drop_ship_pos(order, whole_order=True)


def on_order_refunded(order: Order, **_: Any) -> None:
    """Part or all of the order was refunded: withdraw the POs whose units all were."""
    withdraw_drop_ship_pos(order, whole_order=False)


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_cancelled.connect(on_order_cancelled)
    order_refunded.connect(on_order_refunded)


def withdraw_drop_ship_pos(order: Order, *, whole_order: bool) -> list[PurchaseOrder]:
    """Cancel the order's drop-ship POs the customer no longer needs; the POs cancelled now.

    ``whole_order``: the order was cancelled (every PO goes); otherwise only a PO whose
    lines were all refunded in full. A PO with shipped units is left to staff, with a
    note on the order. Call in the order's shop context; flushes, never commits.
    """
    cancelled = []
    for po in _drop_ship_pos(order):
        lines = _po_lines(po)
        if not whole_order and not _all_refunded(lines):
            continue
        if any(line.quantity_received for line in lines):
            shipped = "partly shipped" if po.status is S.PARTIALLY_RECEIVED else "shipped"
            _note_once(order, f"Drop-ship PO {po.number} was {shipped}: tell the vendor.")
            continue
        if _cancel(order, po):
            cancelled.append(po)
    return cancelled


def _drop_ship_pos(order: Order) -> list[PurchaseOrder]:
    return list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .where(
                PurchaseOrder.order_id == order.id,
                PurchaseOrder.drop_ship.is_(True),
                PurchaseOrder.status.not_in(sorted(SETTLED)),
            )
            .order_by(PurchaseOrder.number)
        )
    )


def _po_lines(po: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(
        db.session.scalars(
            sa.select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po.id)
            .order_by(PurchaseOrderLine.position, PurchaseOrderLine.id)
        )
    )


def _all_refunded(lines: list[PurchaseOrderLine]) -> bool:
    """Was every unit of the customer's order lines behind these PO lines refunded?"""
    ids = sorted({line.order_line_id for line in lines if line.order_line_id is not None})
    if not ids:
        return False
    # Columns, not the ORM objects: the refund moved the counts by an UPDATE just now.
    rows = db.session.execute(
        sa.select(OrderLine.quantity, OrderLine.quantity_refunded).where(OrderLine.id.in_(ids))
    ).all()
    return len(rows) == len(ids) and all(refunded >= quantity for quantity, refunded in rows)


def _cancel(order: Order, po: PurchaseOrder) -> bool:
    was_sent = po.sent_at is not None
    savepoint = db.session.begin_nested()
    try:
        moved = cancel_purchase_order(po, actor_id=None)
        savepoint.commit()
    except PurchasingError as refused:
        savepoint.rollback()
        db.session.refresh(po)
        _note_once(order, f"Drop-ship PO {po.number} was not cancelled: {refused} Tell the vendor.")
        return False
    if not moved:  # cancelled meanwhile: a replay, or staff were quicker
        return False
    told = " and the vendor told" if was_sent else ""
    _note_once(order, f"Drop-ship PO {po.number} cancelled{told}: the customer no longer needs it.")
    if was_sent:  # a draft never reached the vendor: nothing to withdraw there
        enqueue_after_commit(send_po_cancellation, str(po.id))
    return True


def _note_once(order: Order, message: str) -> None:
    """Add ``message`` to the order's staff timeline unless it is there already (a replay)."""
    message = message[:300]
    known = db.session.scalar(
        sa.select(OrderEvent.id).where(
            OrderEvent.order_id == order.id,
            OrderEvent.kind == EVENT_KIND,
            OrderEvent.message == message,
        )
    )
    if known is not None:
        return
    log.info("drop-ship: order %s needs the shop's attention", order.id)  # ids only
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind=EVENT_KIND,
            message=message,
            actor_id=None,
        )
    )
    db.session.flush()


@job(queue="mail")
def send_po_cancellation(po_id: str) -> None:
    """Mail the vendor that the PO is cancelled (HTML + text; nothing about the customer)."""
    po = scoped_get(PurchaseOrder, po_id)
    if po is None or po.status is not S.CANCELLED:
        return
    vendor = scoped_get(Vendor, po.vendor_id)
    to = vendor.email if vendor is not None and vendor.email_ct else None
    if not to or to in (ERASED, UNREADABLE):
        return
    shop = db.session.get(Tenant, po.tenant_id)
    deliver(
        render_message(
            "vendors/vendor_link/email/po_cancelled",
            to=to,
            subject=f"Purchase order {po.number} from {shop.name} is cancelled",
            shop_name=shop.name,
            number=po.number,
            lines=_po_lines(po),
        )
    )
