"""The customer's return request, ``/orders/<token>/returns/new`` (``returns`` blueprint).

The order's tracking token is the proof that the order is the customer's
(``mall.orders.tracking_views``): a tampered or replaced one, or another shop's
order on a shop's host, answers 404. Pages are ``no-store`` and ``noindex``.
The form leads back to the tracking page, or to ``/account/orders`` when opened
from there (``?from=account``: a flag, never a URL, so it cannot redirect elsewhere).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.extensions import db, limiter
from mall.money import format_money
from mall.orders.tracking_views import private, tracked_or_404
from mall.returns import forms, services
from mall.returns.errors import ReturnError
from mall.returns.policy import get_policy
from tenants.context import tenant_context
from tenants.keys import reveal
from tenants.models import Tenant

bp = Blueprint("returns", __name__, template_folder="templates")

RETURN_LIMIT = "10 per minute;60 per hour"  # per IP, on posts only
FROM_ACCOUNT = "account"


@bp.route("/orders/<token>/returns/new", methods=["GET", "POST"])
@limiter.limit(RETURN_LIMIT, methods=["POST"])
def new_return(token: str) -> ResponseReturnValue:
    """Choose units of the shipped items and give a reason; the shop is asked once per form."""
    order = tracked_or_404(token)
    came_from = {"from": FROM_ACCOUNT} if request.args.get("from") == FROM_ACCOUNT else {}
    way_back = url_for("account_orders.orders") if came_from else None
    back = redirect(url_for("returns.new_return", token=token, **came_from), 303)
    with tenant_context(order.tenant_id):
        status = 200
        items = services.returnable_lines(order)
        if request.method == "POST":
            form = forms.ReturnForm()
            if not form.validate():
                if form.key.errors:
                    flash(forms.EXPIRED, "error")
                    return back
                status = 422
            else:
                try:
                    quantities = forms.numbers_of(
                        request.form, "qty", [item.line.id for item in items], maximum=10_000
                    )
                    _made, new = services.request_return(
                        order,
                        quantities={k: v for k, v in quantities.items() if v},
                        reason=form.reason.data,
                        key=form.key.data,
                    )
                    db.session.commit()
                except (ReturnError, ValueError) as refused:
                    db.session.rollback()
                    flash(str(refused), "error")
                    return back
                if new:
                    flash("Your return request is sent. The shop will answer by email.", "success")
                else:
                    flash("This return request was already sent.", "info")
                return redirect(way_back or url_for("tracking.order", token=token), 303)
        else:
            form = forms.ReturnForm.fresh()
        html = render_template(
            "returns/new.html",
            form=form,
            order=order,
            shop=db.session.get(Tenant, order.tenant_id),
            items=items,
            policy=get_policy(),
            requests=services.returns_of_order(order),
            token=token,
            came_from=came_from,
            way_back=way_back,
            money=lambda minor: format_money(minor, code=order.currency),
            reveal=reveal,
        )
    return private((html, status))
