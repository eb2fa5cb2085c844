"""Reads for fulfilment: what is left to ship, and an order's shipments with their items.

Shared by the shipping service (``mall.orders.fulfilment``), the customer's
shipment email and the order page. They run in the shop's tenant context; an
order's shipments cost two queries however many there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.orders import carriers
from mall.orders.models import Order, OrderLine, Shipment, ShipmentLine
from tenants.guard import scoped_get


@dataclass(frozen=True)
class ShippableLine:
    """An order line that ships, and how many of its units are still to go."""

    line: OrderLine
    left: int


@dataclass(frozen=True)
class ShipmentRow:
    """A shipment as the order page shows it: carrier name and (order line, units) items."""

    shipment: Shipment
    carrier: str
    items: list[tuple[OrderLine, int]]


def get_shipment(shipment_id: UUID | str | None) -> Shipment | None:
    """The shipment of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(Shipment, shipment_id)


def left_to_ship(line: OrderLine) -> int:
    """Units of ``line`` not shipped nor refunded instead of shipping (0 for a line that does
    not ship). A refund of returned units (``quantity_returned``) leaves it as it was."""
    if not line.requires_shipping:
        return 0
    unshipped_refunds = line.quantity_refunded - line.quantity_returned
    return max(line.quantity - line.quantity_shipped - unshipped_refunds, 0)


def shippable_lines(order: Order, lines: Iterable[OrderLine] | None = None) -> list[ShippableLine]:
    """The order's lines with units still to ship, in the order's order (``lines``: known rows)."""
    known = list(lines) if lines is not None else order_lines(order)
    return [ShippableLine(line, left_to_ship(line)) for line in known if left_to_ship(line) > 0]


def shipments_of(order: Order, lines: Iterable[OrderLine]) -> list[ShipmentRow]:
    """The order's shipments, oldest first, with their items (two queries, however many)."""
    shipments = list(
        db.session.scalars(
            sa.select(Shipment)
            .where(Shipment.order_id == order.id)
            .order_by(Shipment.shipped_at, Shipment.created_at, Shipment.id)
        )
    )
    if not shipments:
        return []
    by_line = {line.id: line for line in lines}
    items: dict[UUID, list[tuple[OrderLine, int]]] = {shipment.id: [] for shipment in shipments}
    for part in db.session.scalars(
        sa.select(ShipmentLine).where(ShipmentLine.shipment_id.in_(list(items)))
    ):
        line = by_line.get(part.order_line_id)
        if line is not None:
            items[part.shipment_id].append((line, part.quantity))
    for found in items.values():
        found.sort(key=lambda item: item[0].position)
    return [
        ShipmentRow(shipment, carriers.carrier_name(shipment.carrier), items[shipment.id])
        for shipment in shipments
    ]


def order_lines(order: Order) -> list[OrderLine]:
    """The order's lines, fresh from the database (a parcel or a refund may have moved them)."""
    return list(
        db.session.scalars(
            sa.select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .order_by(OrderLine.position)
            .execution_options(populate_existing=True)
        )
    )
