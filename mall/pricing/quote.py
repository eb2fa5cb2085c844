"""The quote's contract: ``quote()`` and the values it takes and answers.

The values are in ``mall.pricing.lines``, the pricing itself in ``mall.pricing.engine``
(read its docstring for the order of work and the invariants); import both from here.
"""

from __future__ import annotations

from mall.pricing.engine import FACILITATOR_COUNTRIES, SHIPPING_TAX_CLASS, quote
from mall.pricing.lines import (
    AppliedDiscount,
    Customer,
    Destination,
    LineDiscount,
    MallQuote,
    PricedLine,
    QuoteLine,
    ShippingOption,
    ShopQuote,
)

__all__ = [
    "FACILITATOR_COUNTRIES",
    "SHIPPING_TAX_CLASS",
    "AppliedDiscount",
    "Customer",
    "Destination",
    "LineDiscount",
    "MallQuote",
    "PricedLine",
    "QuoteLine",
    "ShippingOption",
    "ShopQuote",
    "quote",
]
