"""Shipments of an order (fulfilment): routes on the ``orders_admin`` blueprint.

The order page lists the order's shipments and, for a paid or partially
fulfilled order with units still to ship, the "Record a shipment" form
(``panel`` gives the page both). Recording needs ``orders.manage``; the
order is read through the tenant guard first, so another shop's order id
answers 404 before anything else. A form re-sent (double click, back and
submit) carries the same rendered-form key and records nothing more.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.orders import fulfilment, services
from mall.orders.admin_views import bp, member_can, order_page
from mall.orders.carriers import carrier_name
from mall.orders.errors import OrderError
from mall.orders.fulfilment import REQUEST_KEY
from mall.orders.models import Order, OrderLine, Shipment
from mall.orders.shipment_forms import ShipmentForm, shipment_form
from mall.orders.shipment_queries import shipments_of, shippable_lines
from mall.shops.permissions import requires


def panel(order: Order, lines: list[OrderLine], form: ShipmentForm | None = None) -> dict[str, Any]:
    """What ``_shipments.html`` shows: the order's shipments and, when it can ship, the form.

    ``lines`` are the order's lines (the page has them already); ``form`` is a
    submitted form to show again with its errors. Two queries, however many
    shipments and lines.
    """
    shippable = shippable_lines(order, lines)
    can_ship = (
        order.status in fulfilment.SHIPPABLE and bool(shippable) and member_can("orders.manage")
    )
    if can_ship and form is None:
        # A fresh form, even on a page that answers another action's POST.
        form = shipment_form(order, shippable, formdata=None)
    return {
        "shipments": shipments_of(order, lines),
        "form": form if can_ship else None,
    }


@bp.context_processor
def shipment_helpers() -> dict[str, Any]:
    """``shipment_panel(order, lines, form)`` for the order page's shipments section."""
    return {"shipment_panel": panel}


@bp.get("/<uuid:order_id>/shipments")
@requires("orders.view")
def shipments(order_id: UUID) -> ResponseReturnValue:
    """The shipments are on the order page (a reload after a refused form lands there)."""
    found = get_or_404(services.get_order, order_id)
    return redirect(_back(found), 303)


@bp.post("/<uuid:order_id>/shipments")
@requires("orders.manage")
def ship(order_id: UUID) -> ResponseReturnValue:
    """Record a parcel of the order: units per line, carrier, tracking, date (once per form)."""
    found = get_or_404(services.get_order, order_id)
    form = shipment_form(found, shippable_lines(found))
    earlier = _earlier(found, form)
    if earlier is not None:  # the same rendered form again: it may have shipped everything
        flash(f"This shipment was already recorded ({_summary(earlier)}): nothing changed.", "info")
        return redirect(_back(found), 303)
    try:
        fulfilment.check_shippable(found)  # else the page has no form to show errors in
    except OrderError as refused:
        flash(str(refused), "error")
        return redirect(_back(found), 303)
    if not form.validate():
        return order_page(found, ship_form=form, status=422)
    try:
        shipment = fulfilment.create_shipment(
            found,
            quantities=form.quantities(),
            carrier=form.carrier_value(),
            tracking_number=form.tracking_number.data,
            tracking_url=form.tracking_link.data,
            shipped_at=form.shipped_at(found),
            request_key=form.request_key.data,
            actor_id=current_user.id,
        )
        summary = _summary(shipment)
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(_back(found), 303)
    flash(f"Shipment recorded: {summary}. The customer is emailed the details.", "success")
    return redirect(_back(found), 303)


def _earlier(order: Order, form: ShipmentForm) -> Shipment | None:
    key = form.request_key.data
    if not isinstance(key, str) or not REQUEST_KEY.fullmatch(key):
        return None
    return fulfilment.shipment_for_key(order, key)


def _summary(shipment: Shipment) -> str:
    units = sum(line.quantity for line in shipment.lines)
    items = "1 item" if units == 1 else f"{units} items"
    return f"{items} with {carrier_name(shipment.carrier)}"


def _back(order: Order) -> str:
    return url_for("orders_admin.order", order_id=order.id, _anchor="shipments")
