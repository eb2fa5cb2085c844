"""The signed-in customer's orders from every shop: ``/account/orders``."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mall.accounts.order_history import customer_orders
from mall.money import format_money
from mall.pagination import decode_position

bp = Blueprint("account_orders", __name__, url_prefix="/account", template_folder="templates")


@bp.get("/orders")
@login_required
def orders() -> ResponseReturnValue:
    """Every checkout the customer placed while signed in, newest first, with its shop orders."""
    page, rows = customer_orders(
        current_user.id,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    return (
        render_template(
            "accounts/orders.html",
            page=page,
            rows=rows,
            money=lambda minor, code: format_money(minor, code=code),
        ),
        200,
        {"Cache-Control": "private, no-store"},
    )
