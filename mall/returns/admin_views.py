"""A shop's returns, /shop/<slug>/admin/returns/ (``returns_admin``): the policy, the list,
one page per return with approve / refuse / "received — refund".

Each move is safe to repeat: a return no longer in the state the page showed
changes nothing and the page says so. Another shop's return answers 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.catalog.forms import category_choices
from mall.extensions import db
from mall.money import format_money
from mall.pagination import page_number
from mall.returns import forms, services
from mall.returns.errors import ReturnError
from mall.returns.models import ReturnPayer, ReturnRequest, ReturnStatus
from mall.returns.policy import MAX_WINDOW_DAYS, category_windows, get_policy, save_policy
from mall.returns.receipts import describe_already, refunded_before
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "returns_admin",
    __name__,
    admin=True,
    url_prefix="/admin/returns",
    template_folder="templates",
)

PER_PAGE = 25
STATUS_LABELS = {
    "requested": "Requested: to decide",
    "approved": "Approved: waiting for the goods",
    "refused": "Refused",
    "refunded": "Received and refunded",
}


@bp.context_processor
def returns_helpers() -> dict[str, Any]:
    """What the returns back-office templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop"), "reveal": reveal}


@bp.app_template_global()
def return_status_label(status: str) -> str:
    """A return's status in words."""
    return STATUS_LABELS.get(str(status), str(status))


def _return_or_404(return_id: UUID) -> ReturnRequest:
    found = services.get_return(return_id)
    if found is None:
        abort(404)
    return found


@bp.route("/policy", methods=["GET", "POST"])
@requires("shop.settings")
def policy() -> ResponseReturnValue:
    """The shop's return policy: window, per-category windows, return shipping, a short text."""
    categories = category_choices()
    current = get_policy()
    windows = category_windows()
    status = 200
    if request.method == "POST":
        form = forms.PolicyForm()
        if form.validate():
            try:
                overrides = forms.numbers_of(
                    request.form,
                    "days",
                    [UUID(value) for value, _ in categories],
                    maximum=MAX_WINDOW_DAYS,
                )
                save_policy(
                    form.window_days.data,
                    payer=ReturnPayer(form.payer.data),
                    text=form.text.data or "",
                    overrides=overrides,
                )
                db.session.commit()
            except (ReturnError, ValueError) as refused:
                db.session.rollback()
                flash(str(refused), "error")
                return redirect(url_for("returns_admin.policy"), 303)
            flash("Return policy saved: your product pages show it.", "success")
            return redirect(url_for("returns_admin.policy"), 303)
        status = 422
    else:
        form = forms.PolicyForm(
            formdata=None,
            window_days=current.window_days if current else 30,
            payer=current.payer.value if current else ReturnPayer.CUSTOMER.value,
            text=current.text if current else "",
        )
    return render_template(
        "returns/admin/policy.html",
        form=form,
        categories=categories,
        windows={str(k): v for k, v in windows.items()},
    ), status


@bp.get("/")
@requires("orders.view")
def returns() -> ResponseReturnValue:
    """The shop's return requests, newest first, a page at a time."""
    listing = services.return_list(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template(
        "returns/admin/list.html", listing=listing, orders=services.orders_of(listing.items)
    )


def _page(
    found: ReturnRequest, *, refuse_form: forms.RefuseForm | None = None, status: int = 200
) -> ResponseReturnValue:
    order = services.orders_of([found])[found.order_id]
    received = found.status is ReturnStatus.REFUNDED
    return render_template(
        "returns/admin/return.html",
        item=found,
        order=order,
        lines=services.lines_of(found),
        already=describe_already(refunded_before(found)) if received else "",
        refuse_form=refuse_form or forms.RefuseForm(formdata=None),
        receive_form=forms.ReceiveForm(formdata=None),
        action_form=forms.ActionForm(formdata=None),
        money=lambda minor: format_money(minor, code=order.currency),
    ), status


@bp.get("/<uuid:return_id>")
@requires("orders.view")
def detail(return_id: UUID) -> ResponseReturnValue:
    """One return: the items, the customer's reason and what can be done next."""
    return _page(_return_or_404(return_id))


def _back(found: ReturnRequest) -> ResponseReturnValue:
    return redirect(url_for("returns_admin.detail", return_id=found.id), 303)


def _stale(found: ReturnRequest) -> None:
    flash(f"This return is already “{return_status_label(found.status)}”: nothing changed.", "info")


@bp.post("/<uuid:return_id>/approve")
@requires("orders.manage")
def approve(return_id: UUID) -> ResponseReturnValue:
    """Accept the return: the customer is emailed to send the goods back."""
    found = _return_or_404(return_id)
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _back(found)
    if services.approve(found, actor_id=current_user.id):
        db.session.commit()
        flash("Return approved: the customer is emailed.", "success")
    else:
        db.session.rollback()
        _stale(found)
    return _back(found)


@bp.post("/<uuid:return_id>/refuse")
@requires("orders.manage")
def refuse(return_id: UUID) -> ResponseReturnValue:
    """Refuse the return, with a message emailed to the customer."""
    found = _return_or_404(return_id)
    form = forms.RefuseForm()
    if not form.validate():
        return _page(found, refuse_form=form, status=422)
    try:
        moved = services.refuse(found, message=form.message.data, actor_id=current_user.id)
        db.session.commit()
    except ReturnError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(found)
    if moved:
        flash("Return refused: the customer is emailed your message.", "success")
    else:
        _stale(found)
    return _back(found)


@bp.post("/<uuid:return_id>/receive")
@requires("orders.manage")
def receive(return_id: UUID) -> ResponseReturnValue:
    """The goods arrived: refund their units through the order (optionally restocking)."""
    found = _return_or_404(return_id)
    form = forms.ReceiveForm()
    if not form.validate():
        flash(forms.EXPIRED, "error")
        return _back(found)
    try:
        received = services.receive_and_refund(
            found, restock=bool(form.restock.data), actor_id=current_user.id
        )
        db.session.commit()
    except ReturnError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(found)
    if received is None:
        db.session.rollback()
        _stale(found)
        return _back(found)
    note = describe_already(received.already)
    if received.refund is None:
        flash(f"Return received: nothing was left to refund. {note}", "success")
    else:
        order = services.orders_of([found])[found.order_id]
        amount = format_money(received.refund.amount, code=order.currency)
        flash(f"Return received: {amount} refunded. {note}".strip(), "success")
    return _back(found)
