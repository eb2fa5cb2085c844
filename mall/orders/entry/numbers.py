"""Quote numbers per shop without gaps: ``ACME-Q-1``, ``ACME-Q-2``…

One ``sales_counters`` row per shop and series, taken by ``mall.counters.take_next`` in
the transaction that sends the quote: no gaps, no repeats. Invoices take the shop's
invoice series instead (``mall.invoices.numbers.take_document_number``): one series for
web and typed invoices.
"""

from __future__ import annotations

from mall.counters import take_next
from mall.orders.entry.models import SalesCounter
from mall.orders.numbers import order_prefix
from tenants.models import Tenant

QUOTE_SERIES = "quote"
SERIES_MARK = {QUOTE_SERIES: "Q"}


def take_sales_number(shop: Tenant, series: str = QUOTE_SERIES) -> str:
    """The shop's next number in ``series`` (``ACME-Q-7``). Call in the shop's context."""
    number = take_next(SalesCounter, tenant_id=shop.id, series=series)
    return f"{order_prefix(shop)}-{SERIES_MARK[series]}-{number}"
