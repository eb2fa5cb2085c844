"""Refunds of an order: routes on the ``orders_admin`` blueprint, and what the page shows.

Refunding needs ``orders.manage``. The form's key makes a double click refund
once; a refund the service refuses (more than is left, a bad quantity) comes
back on the order page with the message and what was typed (422).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.orders import refunds, services
from mall.orders.admin_views import bp, order_page
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderRefund
from mall.orders.refund_forms import EXPIRED, RefundForm
from mall.shops.permissions import requires


@bp.app_template_global("refund_panel")
def refund_panel(order: Order, form: RefundForm | None = None) -> dict[str, Any]:
    """What the order page's refund section shows: past refunds, what is left, the form."""
    history: list[OrderRefund] = refunds.refunds_of(order)
    return {
        "refunds": history,
        "form": form or RefundForm.fresh(),
        "open": form is not None,
        "refundable": order.payment_status in refunds.REFUNDABLE,
        "left": order.total - order.refunded_amount,
        "shipping_left": refunds.shipping_paid(order) - refunds.shipping_refunded(order),
        "manual_only": order.payment_method in refunds.MANUAL_METHODS,
        "typed": request.form if form is not None else {},
        "titles": {line.id: line.title for line in order.lines},
    }


@bp.post("/<uuid:order_id>/refunds")
@requires("orders.manage")
def refund(order_id: UUID) -> ResponseReturnValue:
    """Refund items, an amount and/or shipping, through the provider or recorded as manual."""
    found = get_or_404(services.get_order, order_id)
    form = RefundForm()
    back = url_for("orders_admin.order", order_id=found.id)
    if not form.validate():
        if form.key.errors or form.csrf_token.errors:
            flash(EXPIRED, "error")
            return redirect(back, 303)
        return order_page(found, refund_form=form, status=422)
    number = found.number
    try:
        wanted = form.to_request(found, request.form)
        made, new = refunds.refund_order(found, wanted, actor_id=current_user.id, key=form.key.data)
        amount = made.amount
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        found = get_or_404(services.get_order, order_id)
        return order_page(found, refund_form=form, status=422)
    money = format_money(amount, code=found.currency)
    if new and made.manual:
        flash(
            f"Recorded a refund of {money} on order {number}: pay the customer back yourself "
            "(no money moves through Mall for this order).",
            "success",
        )
    elif new:
        flash(f"Refunded {money} on order {number}.", "success")
    else:
        flash(f"This refund of {money} was already made: nothing changed.", "info")
    return redirect(back, 303)
