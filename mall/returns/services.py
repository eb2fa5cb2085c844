"""Return requests: the customer asks, the shop approves or refuses, receives and refunds.

A customer may send back units that went out in a parcel, within the return
window of the line's product (``policy.window_for``) counted per parcel
(``returnable_lines`` has the rule); never more than shipped and left to refund,
less what open requests already name. Units not shipped yet cannot go back. A
request is made once per form (its key). Each move is one conditional UPDATE
from the state the page showed, so a double click or a stale page moves nothing
twice; the refund goes through ``mall.orders.refunds.refund_order`` keyed by the
request, so it is made once and its amounts are the orders capability's, capped
per line at what is left (``receipts``: the shop may have refunded from the order
page first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.errors import OrderError
from mall.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.shipment_queries import order_lines
from mall.orders.tracking import tracking_token
from mall.pagination import Page, paginate
from mall.returns.errors import ReturnError
from mall.returns.jobs import send_return_notice
from mall.returns.models import ReturnLine, ReturnRequest, ReturnStatus
from mall.returns.policy import windows_of_products
from mall.returns.receipts import Received, plan_receipt, restock_already_refunded
from tenants.guard import scoped_get

MAX_REASON = 1000
MAX_MESSAGE = 1000
OPEN = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
# Something has gone out in a parcel (a digital-only order is fulfilled without one).
SHIPPED = frozenset({OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED})


@dataclass(frozen=True)
class Returnable:
    """One order line as the return form shows it: how many units may go back, until when."""

    line: OrderLine
    units: int
    until: datetime | None  # when the line's last parcel's window closes (None: none shipped)
    # (units, until) of each parcel whose units may go back now, the soonest closing first.
    windows: tuple[tuple[int, datetime], ...] = ()
    pending: int = 0  # units already named by the order's open requests


def get_return(return_id: UUID | str | None) -> ReturnRequest | None:
    """The return request of the shop in context with this id, or None."""
    return scoped_get(ReturnRequest, return_id)


def has_shipped(order: Order) -> bool:
    """Has a parcel of the order gone out (so some of its units may be returnable)?"""
    return order.needs_shipping and order.status in SHIPPED


def window_start(order: Order, shipped_at: datetime) -> datetime:
    """When the window of a parcel shipped at ``shipped_at`` opens: the order's delivery once
    the shop marked it delivered, else the day the parcel left (it cannot arrive earlier)."""
    if order.delivered_at is not None and order.delivered_at > shipped_at:
        return order.delivered_at
    return shipped_at


def _parcels(order: Order) -> dict[UUID, list[tuple[datetime, int]]]:
    """(shipped at, units) of each parcel per order line, oldest first (one query)."""
    rows = db.session.execute(
        sa.select(ShipmentLine.order_line_id, Shipment.shipped_at, ShipmentLine.quantity)
        .join(
            Shipment,
            sa.and_(
                Shipment.tenant_id == ShipmentLine.tenant_id,
                Shipment.id == ShipmentLine.shipment_id,
            ),
        )
        .where(Shipment.order_id == order.id)
        .order_by(Shipment.shipped_at, Shipment.id)
    )
    found: dict[UUID, list[tuple[datetime, int]]] = {}
    for line_id, shipped_at, units in rows:
        found.setdefault(line_id, []).append((shipped_at, units))
    return found


def _requested_units(order: Order) -> dict[UUID, int]:
    rows = db.session.execute(
        sa.select(ReturnLine.order_line_id, sa.func.sum(ReturnLine.quantity))
        .join(
            ReturnRequest,
            sa.and_(
                ReturnRequest.tenant_id == ReturnLine.tenant_id,
                ReturnRequest.id == ReturnLine.return_id,
            ),
        )
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(OPEN))
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(units or 0) for line_id, units in rows}


def returnable_lines(order: Order, *, now: datetime | None = None) -> list[Returnable]:
    """Each line of the order with the units that may be returned now (0: none) and until when.

    The rule: units that went out in a parcel may go back for the product's window,
    counted from the day that parcel was shipped, or from the order's delivery once
    the shop marks it delivered (``window_start``); units not shipped yet may not.
    At most what was shipped and has not come back, and is left to refund (other
    refunded units count first against units never shipped, as for shipping), less the
    units of open requests.
    Which parcel a refunded or requested unit came from is not recorded, so they are
    taken from the parcels whose windows close last: a unit never goes back after
    its own parcel's window. Six queries whatever the order's size.
    """
    now = now or utcnow()
    lines = order_lines(order)
    windows = windows_of_products(line.product_id for line in lines)
    requested = _requested_units(order)
    parcels = _parcels(order)
    shown = []
    for line in lines:
        days = timedelta(days=windows[line.product_id])
        sent = [(window_start(order, at) + days, units) for at, units in parcels.get(line.id, [])]
        shipped = sum(units for _, units in sent)
        kept = min(shipped - line.quantity_returned, line.quantity - line.quantity_refunded)
        gone = shipped - kept + requested.get(line.id, 0)
        still = _still_open(sent, gone=gone, now=now)
        until = max((until for until, _ in sent), default=None)
        pending = requested.get(line.id, 0)
        shown.append(Returnable(line, sum(units for units, _ in still), until, still, pending))
    return shown


def _still_open(
    sent: list[tuple[datetime, int]], *, gone: int, now: datetime
) -> tuple[tuple[int, datetime], ...]:
    """(units, until) per parcel still open, once ``gone`` units are taken from the parcels
    that close last; the soonest closing first."""
    left = []
    for until, units in sorted(sent, reverse=True):
        taken = min(gone, units)
        gone -= taken
        if units > taken and now <= until:
            left.append((units - taken, until))
    return tuple(reversed(left))


def _made_with(key: str) -> ReturnRequest | None:
    return db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.request_key == key))


def request_return(
    order: Order, *, quantities: Mapping[UUID, int], reason: str, key: str
) -> tuple[ReturnRequest, bool]:
    """Ask to return units of the order's lines, once per ``key``: (the request, made now?).

    Raises ReturnError when a line is not the order's, a quantity is more than
    may go back, the window has closed, nothing is chosen or no reason is given.
    """
    existing = _made_with(key)
    if existing is not None:
        if existing.order_id != order.id:
            raise ReturnError("This form was already used for another order: reload the page.")
        return existing, False
    reason = (reason or "").strip()
    if not reason:
        raise ReturnError("Tell the shop why you are returning these items.")
    if len(reason) > MAX_REASON:
        raise ReturnError(f"Use at most {MAX_REASON} characters for the reason.")
    # Requests for one order take turns: the second sees the units the first asked for.
    db.session.execute(
        sa.select(Order.id)
        .where(Order.tenant_id == order.tenant_id, Order.id == order.id)
        .with_for_update()
    )
    db.session.refresh(order)  # a delivery or refund committed while this one waited
    allowed = {item.line.id: item for item in returnable_lines(order)}
    chosen: dict[UUID, int] = {}
    for line_id, units in quantities.items():
        item = allowed.get(line_id)
        if item is None:
            raise ReturnError("An item chosen for the return is not in this order.")
        if units < 0 or units > item.units:
            if item.units == 0:
                raise ReturnError(f"“{item.line.title}” cannot be returned now.")
            raise ReturnError(f"“{item.line.title}”: at most {item.units} can be returned.")
        if units:
            chosen[line_id] = units
    if not chosen:
        raise ReturnError("Choose how many of each item you are returning.")
    made = ReturnRequest(tenant_id=order.tenant_id, order_id=order.id, request_key=key)
    made.reason = reason
    try:
        with db.session.begin_nested():
            db.session.add(made)
            db.session.flush()
            for line_id, units in chosen.items():
                db.session.add(
                    ReturnLine(
                        tenant_id=order.tenant_id,
                        return_id=made.id,
                        order_line_id=line_id,
                        quantity=units,
                    )
                )
            db.session.flush()
    except IntegrityError:  # the same form, sent twice at once: the other request made it
        existing = _made_with(key)
        if existing is None:
            raise
        return existing, False
    enqueue_after_commit(send_return_notice, str(order.tenant_id), str(made.id), "requested")
    return made, True


def _move(
    request: ReturnRequest, source: ReturnStatus, target: ReturnStatus, **values: object
) -> bool:
    changed = db.session.execute(
        sa.update(ReturnRequest)
        .where(
            ReturnRequest.tenant_id == request.tenant_id,
            ReturnRequest.id == request.id,
            ReturnRequest.status == source,
        )
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(request)
    return changed == 1


def approve(request: ReturnRequest, *, actor_id: UUID | None) -> bool:
    """Accept a requested return (False: it was no longer requested, nothing changed)."""
    moved = _move(
        request,
        ReturnStatus.REQUESTED,
        ReturnStatus.APPROVED,
        decided_at=utcnow(),
        actor_id=actor_id,
    )
    if moved:
        enqueue_after_commit(
            send_return_notice, str(request.tenant_id), str(request.id), "approved"
        )
    return moved


def refuse(request: ReturnRequest, *, message: str, actor_id: UUID | None) -> bool:
    """Refuse a requested return, with a message emailed to the customer (sealed here)."""
    message = (message or "").strip()
    if not message:
        raise ReturnError("Tell the customer why the return is refused.")
    if len(message) > MAX_MESSAGE:
        raise ReturnError(f"Use at most {MAX_MESSAGE} characters for the message.")
    if request.status is not ReturnStatus.REQUESTED:
        return False
    moved = _move(
        request,
        ReturnStatus.REQUESTED,
        ReturnStatus.REFUSED,
        decided_at=utcnow(),
        actor_id=actor_id,
    )
    if moved:
        request.message = message
        db.session.flush()
        enqueue_after_commit(send_return_notice, str(request.tenant_id), str(request.id), "refused")
    return moved


def receive_and_refund(
    request: ReturnRequest, *, restock: bool, actor_id: UUID | None
) -> Received | None:
    """Mark an approved return's goods received and refund their units, once.

    None when the return was no longer approved (nothing changed). Each line is
    capped at what is left to refund of it (the shop may have refunded units from
    the order page first): only that is refunded, nothing when nothing is left, and
    the return closes either way. The amounts are the orders capability's
    (``refund_order``); restocking moves stock for every unit received. Raises
    ReturnError when the order cannot be refunded.
    """
    if not _move(
        request,
        ReturnStatus.APPROVED,
        ReturnStatus.REFUNDED,
        received_at=utcnow(),
        restock=restock,
        actor_id=actor_id,
    ):
        return None
    order = db.session.scalars(
        sa.select(Order)
        .where(Order.id == request.order_id)
        .execution_options(populate_existing=True)
    ).one()
    receipt = plan_receipt(order, request, order_lines(order))
    refund = None
    if receipt.refund_now:
        wanted = RefundRequest(
            quantities=receipt.refund_now,
            restock=restock,
            reason="Return received",
            returned=True,  # shipped units came back: what is left to ship stays
        )
        try:
            refund, _ = refund_order(order, wanted, actor_id=actor_id, key=f"return:{request.id}")
        except OrderError as refused:
            raise ReturnError(str(refused)) from None
        request.refund_id = refund.id
    if restock:
        restock_already_refunded(order, receipt.already, actor_id=actor_id)
    db.session.flush()
    enqueue_after_commit(send_return_notice, str(request.tenant_id), str(request.id), "refunded")
    return Received(refund, receipt.already)


def return_list(*, page: int, per_page: int = 25) -> Page:
    """The shop's return requests, newest first, one page (two queries)."""
    return paginate(
        sa.select(ReturnRequest).order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc()),
        page=page,
        per_page=per_page,
    )


def orders_of(requests: list[ReturnRequest]) -> dict[UUID, Order]:
    """The orders of a page of requests, by id (one query)."""
    ids = sorted({request.order_id for request in requests})
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(Order).where(Order.id.in_(ids)))}


def lines_of(request: ReturnRequest) -> list[tuple[OrderLine, int]]:
    """(order line, units) of a request (one query)."""
    wanted = {line.order_line_id: line.quantity for line in request.lines}
    rows = db.session.scalars(
        sa.select(OrderLine)
        .where(OrderLine.id.in_(sorted(wanted)))
        .order_by(OrderLine.position, OrderLine.id)
    )
    return [(line, wanted[line.id]) for line in rows]


def returns_of_order(order: Order) -> list[ReturnRequest]:
    """The order's return requests, oldest first (for the tracking page)."""
    return list(
        db.session.scalars(
            sa.select(ReturnRequest)
            .where(ReturnRequest.order_id == order.id)
            .order_by(ReturnRequest.created_at)
        )
    )


def tracking_page_link(order: Order) -> tuple[str, str] | None:
    """The tracking page's "return items" link (label, URL), once something has shipped
    (``mall.orders.tracking.add_page_link``; in the order's shop context)."""
    if not has_shipped(order):
        return None
    return "Return items of this order", url_for("returns.new_return", token=tracking_token(order))


def account_order_link(order: Order, token: str) -> tuple[str, str] | None:
    """The "Return items" button of an order on the customer's ``/account/orders`` (no query;
    ``mall.accounts.order_history.add_order_link``): the form, which leads back there."""
    if not has_shipped(order):
        return None
    return "Return items", url_for("returns.new_return", token=token, **{"from": "account"})
