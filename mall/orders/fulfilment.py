"""Fulfilment: parcels sent for an order (shipments), and orders with nothing to send.

``create_shipment`` records one parcel: some units of some order lines, the
carrier, the tracking number and link, when it left. It is safe to repeat and
to run at the same time as another:

- the rendered form's ``request_key`` is unique per shop: the same key returns
  the first shipment and changes nothing (a double click, a re-sent POST);
- the order's row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL;
  SQLite writes one at a time), so two parcels of one order take turns and the
  second sees what the first shipped, and which one completes the order;
- each line's units go out through a conditional UPDATE
  (``quantity_shipped + n <= quantity - (quantity_refunded - quantity_returned)``), so no path
  (a concurrent shipment, a refund of the same units) ever ships more than is left.

The order then moves (``mall.orders.status.move``) to partially fulfilled, or to
fulfilled with ``fulfilled_at`` when every unit that ships has shipped (or was
refunded). The timeline says who shipped what; ``order_fulfilled`` is announced
(``shipment_id``, ``complete``) and the customer is emailed the items and the
tracking link by a job that gets ids only and opens the order's sealed email in
the shop's context.

An order with nothing to ship (digital items only) is fulfilled when it is paid:
``fulfil_digital`` (called by ``mark_order_paid``, after ``order_paid``) announces
``order_fulfilled`` with ``shipment_id=None``.

A later domain may hold an order back from "fulfilled" (``status.add_fulfilment_hold``:
delivery while a licence key is owed): it stays paid or partially fulfilled, its
pages say why (``status.holds_of``), and ``fulfil_released`` completes it, once,
when the domain lifts the hold.

Like every service these flush and never commit; a raised ``OrderError`` may
leave a half-made shipment in the session, so the caller rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders import carriers, status
from mall.orders.errors import InvalidTransition, OrderError
from mall.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Shipment, ShipmentLine
from mall.orders.shipment_email import send_shipment_email
from mall.orders.shipment_queries import left_to_ship, order_lines, shippable_lines
from mall.signals import order_fulfilled

SHIPPABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED})
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A shop a day ahead of UTC ships "today" on UTC's tomorrow.
FUTURE_SLACK = timedelta(days=1)


def shipment_for_key(order: Order, request_key: str) -> Shipment | None:
    """The shipment of ``order`` already made by this rendered form, if any."""
    found = _by_key(request_key)
    return found if found is not None and found.order_id == order.id else None


# ---------------------------------------------------------------- shipping


def create_shipment(
    order: Order,
    *,
    quantities: Mapping[UUID, int],
    carrier: str,
    tracking_number: str = "",
    tracking_url: str = "",
    shipped_at: datetime | None = None,
    request_key: str,
    actor_id: UUID | None,
) -> Shipment:
    """Record a parcel of ``order``: ``quantities`` (order line id -> units) sent with ``carrier``.

    ``carrier`` is a key of ``carriers.CARRIERS`` or another carrier's name;
    ``tracking_url`` is the shop's own link (else the carrier's page for the
    number). Only a paid or partially fulfilled order ships, only lines that ship,
    each at most what is left. The same ``request_key`` returns the first shipment
    and changes nothing. Raises ``OrderError`` (``InvalidTransition`` for the
    order's status, ``carriers.TrackingError`` for the number or link) with a
    sentence for the shop.
    """
    if not isinstance(request_key, str) or not REQUEST_KEY.fullmatch(request_key):
        raise OrderError("This form has expired: reload the page and try again.")
    _lock(order)
    earlier = _by_key(request_key)
    if earlier is not None:
        if earlier.order_id != order.id:
            raise OrderError("This form was used for another order: reload the page.")
        return earlier
    check_shippable(order)
    stored_carrier = carriers.clean_carrier(carrier)
    number = carriers.clean_tracking_number(tracking_number)
    link = carriers.tracking_url(stored_carrier, number, tracking_url)
    when = _check_shipped_at(order, shipped_at)
    lines = {line.id: line for line in order_lines(order)}
    wanted = _check_quantities(order, lines, quantities)

    shipment = Shipment(
        tenant_id=order.tenant_id,
        order_id=order.id,
        carrier=stored_carrier,
        tracking_number=number,
        tracking_url=link,
        shipped_at=when,
        request_key=request_key,
        actor_id=actor_id,
    )
    db.session.add(shipment)
    db.session.flush()
    for line_id in sorted(wanted):
        _take_units(lines[line_id], wanted[line_id])
        db.session.add(
            ShipmentLine(
                tenant_id=order.tenant_id,
                shipment_id=shipment.id,
                order_line_id=line_id,
                quantity=wanted[line_id],
            )
        )
    db.session.flush()
    complete = _move_after_shipping(order)
    _record(order, "shipped", _shipped_message(shipment, sum(wanted.values())), actor_id)
    enqueue_after_commit(send_shipment_email, str(order.tenant_id), str(shipment.id))
    order_fulfilled.send(order, shipment_id=shipment.id, complete=complete)
    return shipment


def fulfil_digital(order: Order) -> bool:
    """A just-paid order with nothing to ship (digital items only) is fulfilled (once).

    Called by ``mark_order_paid`` after the payment is recorded. Announces
    ``order_fulfilled`` with ``shipment_id=None``. False when something ships or
    the order is not (or no longer) simply paid.
    """
    if order.status is not OrderStatus.PAID or _anything_ships(order) or status.held(order):
        return False
    if not status.move(
        order, OrderStatus.FULFILLED, sources=frozenset({OrderStatus.PAID}), fulfilled_at=utcnow()
    ):
        return False
    _record(order, "fulfilled", "Fulfilled at payment: nothing to ship.", None)
    order_fulfilled.send(order, shipment_id=None, complete=True)
    return True


def complete_if_nothing_left(order: Order, *, actor_id: UUID | None = None) -> bool:
    """Fulfil a partially fulfilled order whose remaining units were refunded (once).

    For the refunds: when the last units still to ship are refunded instead,
    the order has shipped all it will. Announces ``order_fulfilled`` with
    ``shipment_id=None``. False when something is still to ship.
    """
    if order.status is not OrderStatus.PARTIALLY_FULFILLED or shippable_lines(order):
        return False
    if status.held(order):
        return False
    if not status.move(
        order,
        OrderStatus.FULFILLED,
        sources=frozenset({OrderStatus.PARTIALLY_FULFILLED}),
        fulfilled_at=utcnow(),
    ):
        return False
    _record(order, "fulfilled", "Fulfilled: the items left to ship were refunded.", actor_id)
    order_fulfilled.send(order, shipment_id=None, complete=True)
    return True


def fulfil_released(order: Order, *, message: str) -> bool:
    """A hold on ``order`` was lifted: fulfil it (once) when nothing else is left to do.

    A paid order with nothing to ship, or a partially fulfilled one with nothing
    left to ship, moves to fulfilled and announces ``order_fulfilled``
    (``shipment_id=None``); ``message`` goes on its timeline. False otherwise.
    """
    db.session.refresh(order)
    if order.status is OrderStatus.PAID:
        if _anything_ships(order):
            return False
    elif order.status is not OrderStatus.PARTIALLY_FULFILLED or shippable_lines(order):
        return False
    if status.held(order):
        return False
    if not status.move(
        order,
        OrderStatus.FULFILLED,
        sources=frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED}),
        fulfilled_at=utcnow(),
    ):
        return False
    _record(order, "fulfilled", message, None)
    order_fulfilled.send(order, shipment_id=None, complete=True)
    return True


def _lock(order: Order) -> None:
    # Parcels of one order take turns: the second sees what the first shipped.
    db.session.execute(
        sa.select(Order.id)
        .where(Order.tenant_id == order.tenant_id, Order.id == order.id)
        .with_for_update()
    )
    db.session.refresh(order)


def _by_key(request_key: str) -> Shipment | None:
    return db.session.scalar(sa.select(Shipment).where(Shipment.request_key == request_key))


def check_shippable(order: Order) -> None:
    """Raise ``InvalidTransition`` (a sentence for the shop) unless ``order`` can ship now."""
    if order.status in SHIPPABLE:
        if not shippable_lines(order):
            raise InvalidTransition(f"Nothing is left to ship on order {order.number}.")
        return
    label = status.LABELS[order.status]
    if order.status in (OrderStatus.FULFILLED, OrderStatus.DELIVERED):
        raise InvalidTransition(f"Order {order.number} is {label}: everything has shipped.")
    raise InvalidTransition(f"Order {order.number} is {label}: only a paid order can be shipped.")


def _check_shipped_at(order: Order, shipped_at: datetime | None) -> datetime:
    now = utcnow()
    when = shipped_at or now
    if when.tzinfo is None:
        raise OrderError("The shipping time needs its time zone.")
    if when > now + FUTURE_SLACK:
        raise OrderError("The shipping date cannot be in the future.")
    if when.date() < order.placed_at.date():
        raise OrderError(
            f"Order {order.number} was placed on {order.placed_at:%Y-%m-%d}: "
            "it cannot have shipped before."
        )
    return when


def _check_quantities(
    order: Order, lines: Mapping[UUID, OrderLine], quantities: Mapping[UUID, int]
) -> dict[UUID, int]:
    wanted: dict[UUID, int] = {}
    for line_id, units in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise OrderError(f"An item is not part of order {order.number}: reload the page.")
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise OrderError(f"Enter how many of “{line.title}” to ship as a whole number.")
        if units == 0:
            continue
        if not line.requires_shipping:
            raise OrderError(f"“{line.title}” is not shipped: it is a digital item.")
        left = left_to_ship(line)
        if units > left:
            raise OrderError(_over_shipping(line, units, left))
        wanted[line_id] = units
    if not wanted:
        raise OrderError("Choose at least one item to ship.")
    return wanted


def _over_shipping(line: OrderLine, units: int, left: int) -> str:
    done = f"ordered {line.quantity}, shipped {line.quantity_shipped}"
    if line.quantity_refunded:
        done += f", refunded {line.quantity_refunded}"
    if left == 0:
        return f"Nothing of “{line.title}” is left to ship ({done})."
    return f"Only {left} of “{line.title}” left to ship ({done}), not {units}."


def _take_units(line: OrderLine, units: int) -> None:
    taken = db.session.execute(
        sa.update(OrderLine)
        .where(
            OrderLine.tenant_id == line.tenant_id,
            OrderLine.id == line.id,
            OrderLine.quantity_shipped + units
            <= OrderLine.quantity - (OrderLine.quantity_refunded - OrderLine.quantity_returned),
        )
        .values(quantity_shipped=OrderLine.quantity_shipped + units)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        # A refund of the same units got there first: nothing of this parcel is kept.
        raise OrderError(f"“{line.title}” changed meanwhile: reload the page and try again.")


def _move_after_shipping(order: Order) -> bool:
    complete = not shippable_lines(order) and not status.held(order)
    if complete:
        status.move(order, OrderStatus.FULFILLED, fulfilled_at=utcnow())
    else:
        status.move(order, OrderStatus.PARTIALLY_FULFILLED)
    return complete


def _shipped_message(shipment: Shipment, units: int) -> str:
    items = "1 item" if units == 1 else f"{units} items"
    message = f"Shipped {items} with {carriers.carrier_name(shipment.carrier)}"
    if shipment.tracking_number:
        message += f", tracking {shipment.tracking_number}"
    return message + "."


def _anything_ships(order: Order) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(OrderLine.order_id == order.id, OrderLine.requires_shipping)
            )
        )
    )


def _record(order: Order, kind: str, message: str, actor_id: UUID | None) -> None:
    # ``services.record_event``'s row; that module imports this one (``fulfil_digital``).
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind=kind,
            message=message[:300],
            actor_id=actor_id,
        )
    )
    db.session.flush()
