"""The purchase order's state machine, in one place.

draft -> sent -> partially_received -> received -> closed; cancelled only from draft
or sent while nothing was received or billed; "close short" ends a sent or partly
received PO, the rest of each line marked closed (it will not come).

Every move is one conditional UPDATE from the states it may leave
(``UPDATE … WHERE status IN (:from)``): a double click or a stale page moves the PO
once; the second finds it moved and gets False (or the refusal). A refused move
raises ``PurchasingError`` naming the PO's number and its state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus

S = PurchaseStatus
OPEN_FOR_RECEIPT = frozenset({S.SENT, S.PARTIALLY_RECEIVED})

# action -> (the states it leaves, why others are refused)
MOVES: dict[str, tuple[frozenset[PurchaseStatus], str]] = {
    "edit": (frozenset({S.DRAFT}), "only a draft can be changed"),
    "send": (frozenset({S.DRAFT}), "only a draft can be sent"),
    "resend": (OPEN_FOR_RECEIPT, "only a sent purchase order can be sent again"),
    "receive": (OPEN_FOR_RECEIPT, "only a sent purchase order can be received"),
    "close": (frozenset({S.RECEIVED}), "only a received purchase order can be closed"),
    "close_short": (OPEN_FOR_RECEIPT, "only a sent purchase order can be closed short"),
    "cancel": (
        frozenset({S.DRAFT, S.SENT}),
        "only a draft or a sent purchase order with nothing received can be cancelled",
    ),
}


def label(status: PurchaseStatus) -> str:
    """How pages name a state: "partially received"."""
    return status.value.replace("_", " ")


def refusal(po: PurchaseOrder, why: str) -> PurchasingError:
    """The error of a refused move: "ACME-PO-3 is closed: only a draft can be sent."."""
    return PurchasingError(f"{po.number} is {label(po.status)}: {why}.")


def allowed(po: PurchaseOrder, action: str) -> bool:
    """May ``action`` happen to the PO in its state now (buttons shown by pages)?"""
    return po.status in MOVES[action][0]


def require(po: PurchaseOrder, action: str) -> None:
    """Raise the refusal unless ``action`` may happen to the PO in its state."""
    states, why = MOVES[action]
    if po.status not in states:
        raise refusal(po, why)


def hold(po: PurchaseOrder, action: str) -> None:
    """Lock the PO's row for ``action`` while it is still in a state that allows it.

    A no-op UPDATE from the allowed states: on PostgreSQL it holds the row lock until
    commit, so a concurrent move (a cancel during a receipt) waits and then finds the
    state changed; if the PO moved meanwhile, the refusal.
    """
    require(po, action)
    if not move(po, PurchaseOrder.status, leaving=MOVES[action][0]):
        raise refusal(po, MOVES[action][1])


def nothing_received_or_billed(po: PurchaseOrder) -> sa.ColumnElement[bool]:
    """SQL: no line of the PO has received or billed anything (the cancel condition)."""
    return ~sa.exists().where(
        PurchaseOrderLine.tenant_id == po.tenant_id,
        PurchaseOrderLine.po_id == po.id,
        (PurchaseOrderLine.quantity_received > 0) | (PurchaseOrderLine.quantity_billed > 0),
    )


def move(
    po: PurchaseOrder,
    to: PurchaseStatus | sa.ColumnElement[Any],
    *,
    leaving: Iterable[PurchaseStatus],
    where: Iterable[sa.ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Move the PO to ``to`` if it is still in one of ``leaving`` (and ``where`` holds).

    One conditional UPDATE; True when this call moved it, False when it had moved
    meanwhile. The PO is refreshed either way.
    """
    result = db.session.execute(
        sa.update(PurchaseOrder)
        .where(
            PurchaseOrder.tenant_id == po.tenant_id,
            PurchaseOrder.id == po.id,
            PurchaseOrder.status.in_(list(leaving)),
            *where,
        )
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(po)
    return result.rowcount == 1


def step(
    po: PurchaseOrder,
    action: str,
    to: PurchaseStatus,
    *,
    where: Iterable[sa.ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """``action`` from the states it may leave to ``to``: False if the PO is there already
    (a repeat), the refusal if it is elsewhere, else the conditional move."""
    if po.status is to:
        return False
    require(po, action)
    if move(po, to, leaving=MOVES[action][0], where=where, **values):
        return True
    if po.status is to:
        return False
    raise refusal(po, MOVES[action][1])
