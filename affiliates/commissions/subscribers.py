"""The order's payment makes its affiliate commissions (in the shop's context, flush only)."""

from __future__ import annotations

from typing import Any

from affiliates.commissions.services import record_sale
from mall.orders.models import Order


def on_order_paid(order: Order, **_: Any) -> None:
    """Attribute the paid shop order and make its commissions (a replay makes none)."""
    record_sale(order)
