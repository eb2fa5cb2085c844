"""Moves of a whole purchase order that take no quantities: cancel and close.

Each is one conditional UPDATE through ``status.step`` (a repeat returns False, a
refused move raises ``PurchasingError`` naming the PO and its state).
"""

from __future__ import annotations

from uuid import UUID

from mall.db import utcnow
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseStatus
from vendors.purchasing import status


def cancel_purchase_order(po: PurchaseOrder, *, actor_id: UUID | None) -> bool:
    """draft or sent -> cancelled, only while nothing was received or billed on it.

    The condition is part of the UPDATE, so a receipt or a bill at the same moment
    wins or loses as a whole. Returns False if it was cancelled already.
    """
    if po.status is not PurchaseStatus.CANCELLED and any(line.quantity_billed for line in po.lines):
        raise PurchasingError(
            f"{po.number} is {status.label(po.status)} and was billed: "
            "it cannot be cancelled (close it short instead)."
        )
    return status.step(
        po,
        "cancel",
        PurchaseStatus.CANCELLED,
        where=[status.nothing_received_or_billed(po)],
        cancelled_at=utcnow(),
    )


def close_purchase_order(po: PurchaseOrder, *, actor_id: UUID | None) -> bool:
    """received -> closed (everything arrived); False if it was closed already."""
    return status.step(po, "close", PurchaseStatus.CLOSED, closed_at=utcnow())
