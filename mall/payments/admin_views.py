"""A shop's payments in its back office, /shop/<slug>/admin/payments (``payments_admin``).

The settings (bank transfer and its instructions, offline card) need
``shop.settings``; the offline cards need ``orders.manage``. A card's details
are shown once, on the page a POST "reveal" answers (never cached), then the
manager marks it processed or declined, which deletes it. In production these
card pages answer over HTTPS only (``views.card_pages_over_https``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.orders.services import get_order
from mall.pagination import page_number
from mall.payments import forms, services
from mall.payments.errors import PaymentError
from mall.payments.offline_cards import (
    card_of,
    decline_card,
    pending_cards,
    process_card,
    reveal_card,
)
from mall.shops.permissions import can, requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "payments_admin",
    __name__,
    admin=True,
    url_prefix="/admin/payments",
    template_folder="templates",
)

CARDS_PER_PAGE = 25


def member_can(permission: str) -> bool:
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


@bp.context_processor
def payment_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop"), "format_money": format_money}


@bp.route("", methods=["GET", "POST"])
@requires("shop.settings")
def settings() -> ResponseReturnValue:
    """Bank transfer (on/off and its instructions) and offline card (on/off)."""
    current = services.shop_settings()
    form = forms.ShopPaymentsForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        return _settings_page(form)
    if not form.validate():
        return _settings_page(form, 422)
    try:
        services.update_shop_settings(
            current,
            bank_transfer_enabled=form.bank_transfer_enabled.data,
            bank_instructions=form.bank_instructions.data or "",
            offline_card_enabled=form.offline_card_enabled.data,
        )
    except PaymentError as refused:
        db.session.rollback()
        form.bank_instructions.errors = [str(refused)]
        return _settings_page(form, 422)
    db.session.commit()
    flash("Payment settings saved.", "success")
    return redirect(url_for("payments_admin.settings"), 303)


def _settings_page(form: forms.ShopPaymentsForm, status: int = 200) -> ResponseReturnValue:
    return render_template("payments/admin/settings.html", form=form), status


@bp.get("/cards")
@requires("orders.manage")
def cards() -> ResponseReturnValue:
    """Orders whose card details wait to be charged, oldest first."""
    listing = pending_cards(page=page_number(request.args.get("page")), per_page=CARDS_PER_PAGE)
    return render_template("payments/admin/cards.html", listing=listing)


@bp.get("/cards/<uuid:order_id>")
@requires("orders.manage")
def card(order_id: UUID) -> ResponseReturnValue:
    """One order's stored card: brand, last digits, whether it was shown; the actions."""
    order = get_or_404(get_order, order_id)
    return _card_page(order)


def _card_page(order: Any, *, decline: forms.DeclineForm | None = None, status: int = 200) -> Any:
    return render_template(
        "payments/admin/card.html",
        order=order,
        card=card_of(order),
        action=forms.ActionForm(),
        decline=decline or forms.DeclineForm(formdata=None),
    ), status


@bp.post("/cards/<uuid:order_id>/reveal")
@requires("orders.manage")
def reveal(order_id: UUID) -> ResponseReturnValue:
    """Show the card's details once (who and when are recorded); never cached."""
    order = get_or_404(get_order, order_id)
    back = url_for("payments_admin.card", order_id=order.id)
    if not forms.ActionForm().validate():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(back, 303)
    try:
        details = reveal_card(order, actor_id=current_user.id)
    except PaymentError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back, 303)
    db.session.commit()
    response = current_app.make_response(
        render_template(
            "payments/admin/revealed.html",
            order=order,
            details=details,
            action=forms.ActionForm(),
            decline=forms.DeclineForm(formdata=None),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cards/<uuid:order_id>/process")
@requires("orders.manage")
def process(order_id: UUID) -> ResponseReturnValue:
    """The card was charged: the order is paid and the card deleted (once)."""
    order = get_or_404(get_order, order_id)
    back = url_for("payments_admin.card", order_id=order.id)
    if not forms.ActionForm().validate():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(back, 303)
    number = order.number
    try:
        changed = process_card(order, actor_id=current_user.id)
    except PaymentError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back, 303)
    db.session.commit()
    if changed:
        flash(f"Order {number} is paid; its card details are deleted.", "success")
    else:
        flash(f"Order {number} was already processed: nothing changed.", "info")
    return redirect(url_for("payments_admin.cards"), 303)


@bp.post("/cards/<uuid:order_id>/decline")
@requires("orders.manage")
def decline(order_id: UUID) -> ResponseReturnValue:
    """The card was refused: the card is deleted and the order cancelled (once)."""
    order = get_or_404(get_order, order_id)
    form = forms.DeclineForm()
    if not form.validate():
        return _card_page(order, decline=form, status=422)
    number = order.number
    try:
        changed = decline_card(order, actor_id=current_user.id, reason=form.reason.data)
    except PaymentError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("payments_admin.card", order_id=order.id), 303)
    db.session.commit()
    if changed:
        flash(f"Order {number} is cancelled; its card details are deleted.", "success")
    else:
        flash(f"Order {number} was already cancelled: nothing changed.", "info")
    return redirect(url_for("payments_admin.cards"), 303)
