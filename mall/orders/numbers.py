"""Per-shop order numbers without gaps: ``ACME-1001``, ``ACME-1002``…

One counter row per shop (its id is the shop's), taken by ``mall.counters.take_next``
inside the transaction that creates the order: concurrent checkouts of one shop take
turns, and a rolled-back checkout rolls its number back with it.
"""

from __future__ import annotations

import re

from mall.counters import take_next
from mall.orders.models import OrderCounter
from tenants.models import Tenant

FIRST_NUMBER = 1001
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def order_prefix(shop: Tenant) -> str:
    """The shop's order number prefix: its slug in capitals, hyphens out (``acme``: ACME)."""
    return _NOT_ALNUM.sub("", shop.slug.upper())[:12] or "ORDER"


def take_order_number(shop: Tenant) -> str:
    """The shop's next order number (call inside the shop's tenant context)."""
    number = take_next(OrderCounter, tenant_id=shop.id, start=FIRST_NUMBER - 1, row_id=shop.id)
    return f"{order_prefix(shop)}-{number}"
