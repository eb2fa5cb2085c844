"""A shop's orders in its back office, /shop/<slug>/admin/orders/: the ``orders_admin`` blueprint.

Reading needs ``orders.view``; the actions (mark a bank transfer paid, cancel an
unpaid order) need ``orders.manage``. Orders are read by id through the tenant
guard (``services.get_order``), so another shop's ids answer 404. Each action is
safe to repeat: the services change an order once and say so the second time.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.orders import forms, queries, services
from mall.orders.bank_transfers import BANK_TRANSFER, confirm_bank_transfer
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderStatus
from mall.pagination import page_number
from mall.shops.permissions import can, requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "orders_admin", __name__, admin=True, url_prefix="/admin/orders", template_folder="templates"
)

ORDERS_PER_PAGE = 25
PAYMENT_METHODS = {BANK_TRANSFER: "Bank transfer", "offline_card": "Card (processed by the shop)"}


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


@bp.context_processor
def order_helpers() -> dict[str, Any]:
    """What the order templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "reveal": reveal,
        "status_label": lambda status: queries.STATUS_LABELS.get(status, str(status)),
        "method_label": lambda method: PAYMENT_METHODS.get(
            method, method.replace("_", " ").capitalize()
        ),
        "OrderStatus": OrderStatus,
        "BANK_TRANSFER": BANK_TRANSFER,
    }


@bp.get("/")
@requires("orders.view")
def orders() -> ResponseReturnValue:
    """The shop's orders, newest first, filtered by status."""
    filters = forms.OrderFilters(request.args)
    listing = queries.order_list(
        status=filters.status.data or None,
        page=page_number(request.args.get("page")),
        per_page=ORDERS_PER_PAGE,
    )
    return render_template("orders/admin/orders.html", listing=listing, filters=filters)


@bp.get("/<uuid:order_id>")
@requires("orders.view")
def order(order_id: UUID) -> ResponseReturnValue:
    """One order: lines, discounts, totals, the customer's contact copy, timeline, holds."""
    found = get_or_404(services.get_order, order_id)
    return _order_page(found)


def _order_page(
    found: Order,
    *,
    cancel: forms.CancelForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "orders/admin/order.html",
        order=found,
        detail=queries.order_detail(found),
        mark_paid=forms.MarkPaidForm(),
        cancel=cancel or forms.CancelForm(formdata=None),
    ), status


@bp.post("/<uuid:order_id>/mark-paid")
@requires("orders.manage")
def mark_paid(order_id: UUID) -> ResponseReturnValue:
    """The customer's bank transfer arrived: the order is paid (once)."""
    found = get_or_404(services.get_order, order_id)
    back = url_for("orders_admin.order", order_id=found.id)
    if not forms.MarkPaidForm().validate():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(back, 303)
    number = found.number
    try:
        changed = confirm_bank_transfer(found, actor_id=current_user.id)
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back, 303)
    if changed:
        flash(f"Order {number} is marked paid.", "success")
    else:
        flash(f"Order {number} was already marked paid: nothing changed.", "info")
    return redirect(back, 303)


@bp.post("/<uuid:order_id>/cancel")
@requires("orders.manage")
def cancel(order_id: UUID) -> ResponseReturnValue:
    """Cancel an order awaiting payment, with the staff's reason; its held stock goes back."""
    found = get_or_404(services.get_order, order_id)
    form = forms.CancelForm()
    if not form.validate():
        return _order_page(found, cancel=form, status=422)
    number = found.number
    try:
        changed = services.cancel_order(found, actor_id=current_user.id, reason=form.reason.data)
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("orders_admin.order", order_id=order_id), 303)
    if changed:
        flash(f"Order {number} is cancelled; its held stock is back in stock.", "success")
    else:
        flash(f"Order {number} was already cancelled: nothing changed.", "info")
    return redirect(url_for("orders_admin.order", order_id=order_id), 303)
