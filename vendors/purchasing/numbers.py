"""Per-shop purchasing numbers without gaps: ``ACME-PO-1``, ``ACME-BILL-1``, ``ACME-VCN-1``.

One ``purchase_counters`` row per shop and series, taken by ``mall.counters.take_next``
in the transaction that creates the document: no gaps, no repeats.
"""

from __future__ import annotations

from mall.counters import take_next
from mall.orders.numbers import order_prefix
from tenants.models import Tenant
from vendors.models import PurchaseCounter

# series -> the mark in the number
SERIES_MARK = {"po": "PO", "bill": "BILL", "credit": "VCN"}


def take_purchase_number(shop: Tenant, series: str) -> str:
    """The shop's next number in ``series`` (``po``, ``bill``, ``credit``): ``ACME-PO-7``.

    Call inside the shop's tenant context, in the transaction that uses the number.
    """
    mark = SERIES_MARK[series]  # KeyError for an unknown series: a programming error
    number = take_next(PurchaseCounter, tenant_id=shop.id, series=series)
    return f"{order_prefix(shop)}-{mark}-{number}"
