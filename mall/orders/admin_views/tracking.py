"""The customer's tracking link on the order page: shown to staff, and replaced when it leaked.

A route on the ``orders_admin`` blueprint; replacing needs ``orders.manage``.
The form carries the link version the page showed, so a double click replaces
the link once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.orders import services, tracking
from mall.orders.admin_views import EXPIRED, bp
from mall.orders.forms import TrackingLinkForm
from mall.orders.models import Order
from mall.shops.permissions import requires


@bp.app_template_global("tracking_panel")
def tracking_panel(order: Order) -> dict[str, Any]:
    """What the order page's tracking section shows: the customer's link and the form."""
    return {
        "link": tracking.tracking_link(order),
        "form": TrackingLinkForm(formdata=None, version=order.tracking_version),
    }


@bp.post("/<uuid:order_id>/tracking-link")
@requires("orders.manage")
def new_tracking_link(order_id: UUID) -> ResponseReturnValue:
    """Replace the customer's tracking link: the old one answers "not found" from now on."""
    found = get_or_404(services.get_order, order_id)
    form = TrackingLinkForm()
    if not form.validate():
        flash(EXPIRED, "error")
        return redirect(url_for("orders_admin.order", order_id=found.id, _anchor="tracking"), 303)
    changed = tracking.new_tracking_link(found, seen=form.seen(), actor_id=current_user.id)
    db.session.commit()
    if changed:
        flash(
            "The tracking link is replaced: the old one no longer works. "
            "Send the customer the new link below.",
            "success",
        )
    else:
        flash("The tracking link was already replaced: nothing changed.", "info")
    return redirect(url_for("orders_admin.order", order_id=found.id, _anchor="tracking"), 303)
