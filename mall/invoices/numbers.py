"""Per-shop document numbers without gaps: ``ACME-INV-1``, ``ACME-INV-2``… and ``ACME-CN-1``…

One counter row per shop and series, taken by ``mall.counters.take_next`` inside the
transaction that issues the document: no gaps, no repeats.
"""

from __future__ import annotations

from mall.counters import take_next
from mall.invoices.models import DocumentKind, InvoiceCounter
from mall.orders.numbers import order_prefix
from tenants.models import Tenant

SERIES_MARK = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}


def take_document_number(shop: Tenant, series: DocumentKind) -> tuple[str, int]:
    """The shop's next number in ``series``: (``ACME-INV-7``, 7). Call in the shop's context."""
    number = take_next(InvoiceCounter, tenant_id=shop.id, series=series.value)
    return f"{order_prefix(shop)}-{SERIES_MARK[series]}-{number}", number
