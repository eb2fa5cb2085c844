"""A shop's orders in its back office, /shop/<slug>/admin/orders/: the ``orders_admin`` blueprint.

Reading (the list, its CSV, an order, a customer's orders) needs ``orders.view``;
the actions (mark a bank transfer paid, cancel, mark delivered) need
``orders.manage``. Orders are read by id through the tenant guard
(``services.get_order``), so another shop's ids answer 404. A customer's email
is searched for by POST and listed by its blind index: never in a URL. Each
action is safe to repeat: the services change an order once (through the status
machine) and say so the second time; a move the machine does not allow comes
back as a message, never an error page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any
from uuid import UUID

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from mall.db import utcnow
from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.orders import actions, export, forms, queries, services
from mall.orders.bank_transfers import BANK_TRANSFER
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderStatus
from mall.orders.numbers import order_prefix
from mall.orders.queries import OrderSearch
from mall.orders.status import holds_of
from mall.pagination import decode_position
from mall.shops.models import Role
from mall.shops.permissions import can, requires
from tenants.context import tenant_context
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "orders_admin", __name__, admin=True, url_prefix="/admin/orders", template_folder="../templates"
)

ORDERS_PER_PAGE = 25
PAYMENT_METHODS = {BANK_TRANSFER: "Bank transfer", "offline_card": "Card (processed by the shop)"}
EXPIRED = "The form expired: reload the page and try again."


def rep_id() -> UUID | None:
    """The signed-in member's id when a sales rep: they do not see orders a colleague entered."""
    membership = g.get("membership")
    if membership is None or membership.role is not Role.SALES_REP:
        return None
    return current_user.id


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
        "fulfilment_holds": holds_of,  # {order id: why it is not fulfilled yet}
        "payment_label": lambda status: forms.PAYMENT_LABELS.get(status, str(status)),
        "method_label": lambda method: PAYMENT_METHODS.get(
            method, method.replace("_", " ").capitalize()
        ),
        "OrderStatus": OrderStatus,
        "BANK_TRANSFER": BANK_TRANSFER,
    }


# ---------------------------------------------------------------- the list and its CSV


@bp.get("/")
@requires("orders.view")
def orders() -> ResponseReturnValue:
    """The shop's orders, newest first: filtered, searched, paged."""
    filters = forms.OrderFilters(request.args)
    search = filters.search(prefix=order_prefix(g.shop))
    if search is None:  # a wrong date: say so next to it, list nothing
        return _list_page(filters, None, status=400)
    search = replace(search, rep_id=rep_id())
    listing = queries.order_list(
        search,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
        per_page=ORDERS_PER_PAGE,
    )
    return _list_page(filters, listing)


def _list_page(
    filters: forms.OrderFilters,
    listing: queries.OrderList | None,
    *,
    customer: forms.CustomerSearchForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "orders/admin/orders.html",
        listing=listing,
        filters=filters,
        customer=customer or forms.CustomerSearchForm(formdata=None),
    ), status


@bp.post("/customer")
@requires("orders.view")
def find_customer() -> ResponseReturnValue:
    """A customer's orders by their email: posted, then listed by its blind index only.

    The address never reaches a URL (nor so a log or the browser's history): the
    list's link carries the HMAC of it under this shop's index key.
    """
    form = forms.CustomerSearchForm()
    if not form.validate():
        return _list_page(forms.OrderFilters(MultiDict()), None, customer=form, status=422)
    token = queries.customer_token(form.email.data)
    return redirect(url_for("orders_admin.orders", customer=token), 303)


@bp.get("/export.csv")
@requires("orders.view")
def orders_csv() -> ResponseReturnValue:
    """Every order matching the list's filters as CSV (streamed: all pages, not one)."""
    filters = forms.OrderFilters(request.args)
    search = filters.search(prefix=order_prefix(g.shop))
    if search is None:
        return _list_page(filters, None, status=400)
    search = replace(search, rep_id=rep_id())
    name = f"{g.shop.slug}-orders-{utcnow():%Y-%m-%d}.csv"
    return Response(
        _csv_chunks(current_app._get_current_object(), g.shop.id, search),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # customers' emails: never kept by a cache
        },
    )


def _csv_chunks(app: Flask, shop_id: UUID, search: OrderSearch) -> Iterator[str]:
    # The body is written after the request ended (its context and session are gone): each
    # batch runs in a short app context and session of its own, in the shop's scope (the
    # view checked the member), and nothing is held across a ``yield``.
    yield export.header()
    cursor = None
    while True:
        with app.app_context(), tenant_context(shop_id):
            text, cursor = export.csv_batch(search, after=cursor)
        if text:
            yield text
        if cursor is None:
            return


# ---------------------------------------------------------------- one order


@bp.get("/<uuid:order_id>")
@requires("orders.view")
def order(order_id: UUID) -> ResponseReturnValue:
    """One order: lines, discounts, totals, customer, payment, timeline, holds, actions."""
    found = get_or_404(services.get_order, order_id)
    if not queries.visible_to_rep(found, rep_id()):
        abort(404)
    return order_page(found)


def order_page(
    found: Order,
    *,
    cancel: forms.CancelForm | None = None,
    status: int = 200,
    **forms_shown: Any,
) -> ResponseReturnValue:
    """The order page; an action whose form was wrong passes it back (``cancel=``, or by
    name in ``forms_shown`` for the sections other modules add) with a 4xx ``status``."""
    return render_template(
        "orders/admin/order.html",
        order=found,
        detail=queries.order_detail(found),
        mark_paid=forms.MarkPaidForm(),
        delivered=forms.DeliveredForm(),
        cancel=cancel or forms.CancelForm.fresh(),
        **forms_shown,
    ), status


_order_page = order_page  # the name the action modules used first


def _act(
    found: Order, action: Callable[[], bool], *, done: str, repeat: str
) -> ResponseReturnValue:
    """Run ``action`` (one service), commit, and say what happened on the order page."""
    try:
        changed = action()
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        flash(done if changed else repeat, "success" if changed else "info")
    return redirect(url_for("orders_admin.order", order_id=found.id), 303)


@bp.post("/<uuid:order_id>/mark-paid")
@requires("orders.manage")
def mark_paid(order_id: UUID) -> ResponseReturnValue:
    """The customer's bank transfer arrived: the order is paid (once), the customer told."""
    found = get_or_404(services.get_order, order_id)
    if not forms.MarkPaidForm().validate():
        flash(EXPIRED, "error")
        return redirect(url_for("orders_admin.order", order_id=found.id), 303)
    number = found.number
    return _act(
        found,
        lambda: actions.confirm_transfer_by_shop(found, actor_id=current_user.id),
        done=f"Order {number} is marked paid; the customer is told by email.",
        repeat=f"Order {number} was already marked paid: nothing changed.",
    )


@bp.post("/<uuid:order_id>/cancel")
@requires("orders.manage")
def cancel(order_id: UUID) -> ResponseReturnValue:
    """Cancel an unpaid order (stock back) or a paid one with nothing shipped (refunded)."""
    found = get_or_404(services.get_order, order_id)
    form = forms.CancelForm()
    if not form.validate():
        if form.key.errors:  # posted without the page's key: an old or forged form
            flash(EXPIRED, "error")
            return redirect(url_for("orders_admin.order", order_id=found.id), 303)
        return order_page(found, cancel=form, status=422)
    number, was_paid = found.number, found.status is OrderStatus.PAID
    done = (
        f"Order {number} is cancelled and refunded in full; its items are back in stock."
        if was_paid
        else f"Order {number} is cancelled; its held stock is back in stock."
    )
    return _act(
        found,
        lambda: actions.cancel_by_shop(
            found, actor_id=current_user.id, reason=form.reason.data, key=form.key.data
        ),
        done=done + " The customer is told by email.",
        repeat=f"Order {number} was already cancelled: nothing changed.",
    )


@bp.post("/<uuid:order_id>/delivered")
@requires("orders.manage")
def mark_delivered(order_id: UUID) -> ResponseReturnValue:
    """The fulfilled order reached the customer (once)."""
    found = get_or_404(services.get_order, order_id)
    if not forms.DeliveredForm().validate():
        flash(EXPIRED, "error")
        return redirect(url_for("orders_admin.order", order_id=found.id), 303)
    number = found.number
    return _act(
        found,
        lambda: services.mark_delivered(found, actor_id=current_user.id),
        done=f"Order {number} is marked delivered.",
        repeat=f"Order {number} was already marked delivered: nothing changed.",
    )


# The order page's other actions, each in its own module (their routes join ``bp``).
from mall.orders.admin_views import refunds, shipments, tracking  # noqa: E402, F401
