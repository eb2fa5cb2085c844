"""A sales document's figures, computed in one place.

``price_entry`` prices what staff typed: the catalog's variants found by SKU, the
agreed unit price (the catalog's unless overridden, with a reason), a discount per
line (with a reason), the shop's shipping method and tax rates for the destination,
through the checkout's own quote (``mall.pricing.quote``), so the figures are those
a web order would get at those prices. The line discounts are shop-funded shares
(code ``AGREED``) and the tax is computed again on what is left, with the same
functions the quote uses.

``frozen_part`` rebuilds that shop part from a saved document's frozen lines when it
is paid: the order then records exactly the agreed prices, discounts and tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.catalog.models import Product, ProductKind, Variant, option_label
from mall.extensions import db
from mall.money import Party, apply_rate, included_part, max_minor
from mall.numbers import MAX_COUNT
from mall.orders.entry.errors import EntryError
from mall.orders.entry.models import SalesDocument
from mall.pricing.quote import (
    FACILITATOR_COUNTRIES,
    AppliedDiscount,
    Destination,
    LineDiscount,
    PricedLine,
    QuoteLine,
    ShippingOption,
    ShopQuote,
    quote,
)
from tenants.settings import get_setting

AGREED = "AGREED"  # the discount code an order records for a discount agreed by staff
MAX_LINES = 50
MAX_REASON = 200


@dataclass(frozen=True)
class LineInput:
    """One line as typed: a SKU, a quantity, an optional agreed price and discount."""

    sku: str
    quantity: int
    unit_price: int | None = None  # None: the catalog's price
    price_reason: str = ""
    discount: int = 0
    discount_reason: str = ""


@dataclass
class Priced:
    """The document's figures: the shop part (as an order would record it) and the inputs."""

    part: ShopQuote
    inputs: list[LineInput]
    variants: dict[UUID, Variant]
    list_prices: list[int]

    @property
    def shipping_options(self) -> list[ShippingOption]:
        return self.part.shipping_options


def _variants_by_sku(skus: Sequence[str]) -> dict[str, Variant]:
    """The shop's variants with these SKUs (one query; call in the shop's context)."""
    if not skus:
        return {}
    rows = db.session.scalars(
        sa.select(Variant)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.sku.in_(sorted(set(skus))))
    ).all()
    return {variant.sku: variant for variant in rows}


def _check(entry: LineInput, index: int, list_price: int) -> None:
    """Refuse a line whose agreed price or discount comes without a reason, or is out of range."""
    if not 1 <= entry.quantity <= MAX_COUNT:
        raise EntryError(
            f"Line {index + 1}: enter a quantity from 1 to {MAX_COUNT:,}.",
            field=f"quantity-{index}",
        )
    price = list_price if entry.unit_price is None else entry.unit_price
    if not 0 <= price <= max_minor():
        raise EntryError(f"Line {index + 1}: the price is out of range.", field=f"price-{index}")
    if price != list_price and not entry.price_reason.strip():
        raise EntryError(
            f"Line {index + 1}: say why the price differs from the catalog's.",
            field=f"price_reason-{index}",
        )
    if entry.discount and not entry.discount_reason.strip():
        raise EntryError(
            f"Line {index + 1}: say why the line is discounted.", field=f"discount_reason-{index}"
        )
    if not 0 <= entry.discount <= price * entry.quantity:
        raise EntryError(
            f"Line {index + 1}: the discount is more than the line's amount.",
            field=f"discount-{index}",
        )
    if price * entry.quantity > max_minor():
        raise EntryError(f"Line {index + 1}: the amount is too large.", field=f"quantity-{index}")


def _quote_line(variant: Variant, tenant_id: UUID, price: int, quantity: int) -> QuoteLine:
    product = variant.product
    return QuoteLine(
        variant_id=variant.id,
        tenant_id=tenant_id,
        product_id=product.id,
        category_id=product.category_id,
        title=product.title,
        tax_class=product.tax_class,
        unit_price=price,
        quantity=quantity,
        weight_grams=product.weight_grams or 0,
        requires_shipping=product.kind != ProductKind.DIGITAL,
    )


def price_entry(
    entries: Sequence[LineInput],
    *,
    tenant_id: UUID,
    country: str | None,
    shipping_method_id: UUID | None,
) -> Priced:
    """Price the typed lines for the shop in context (EntryError names the line at fault)."""
    if not entries:
        raise EntryError("Add at least one item: a SKU and a quantity.", field="sku-0")
    if len(entries) > MAX_LINES:
        raise EntryError(f"A document has at most {MAX_LINES} lines.")
    found = _variants_by_sku([entry.sku for entry in entries])
    lines, list_prices = [], []
    for index, entry in enumerate(entries):
        variant = found.get(entry.sku)
        if variant is None:
            raise EntryError(
                f"Line {index + 1}: no item has the SKU “{entry.sku}”.", field=f"sku-{index}"
            )
        _check(entry, index, variant.price)
        price = variant.price if entry.unit_price is None else entry.unit_price
        lines.append(_quote_line(variant, tenant_id, price, entry.quantity))
        list_prices.append(variant.price)
    choice = {tenant_id: shipping_method_id} if shipping_method_id else {}
    destination = Destination(country) if country else None
    (part,) = quote(lines, destination=destination, shipping_choice=choice).shops
    if shipping_method_id and part.shipping and part.shipping.method_id != shipping_method_id:
        raise EntryError("This shipping method does not deliver there.", field="shipping_method")
    _apply_discounts(part, [entry.discount for entry in entries])
    variants = {variant.id: variant for variant in found.values()}
    return Priced(part=part, inputs=list(entries), variants=variants, list_prices=list_prices)


def _retax(line: PricedLine, include_tax: bool) -> None:
    """The line's tax and total on what is left after its discounts (as the quote does)."""
    taxable = line.subtotal - line.discount
    if include_tax:
        line.tax = included_part(taxable, line.tax_rate_bp)
        line.total = taxable
    else:
        line.tax = apply_rate(taxable, line.tax_rate_bp)
        line.total = taxable + line.tax


def _apply_discounts(part: ShopQuote, discounts: Sequence[int]) -> None:
    for line, amount in zip(part.lines, discounts, strict=True):
        if amount:
            line.discounts.append(LineDiscount(AGREED, Party.SHOP, amount))
            _retax(line, part.prices_include_tax)
    total = sum(discounts)
    if total:
        part.discounts.append(AppliedDiscount(AGREED, Party.SHOP, total))


def frozen_part(document: SalesDocument, variants: dict[UUID, Variant]) -> ShopQuote:
    """The shop part of a saved document, from its frozen lines (nothing is priced again).

    Raises EntryError when an item of the document is no longer in the catalog.
    """
    country = _country(document)
    collector = Party.PLATFORM if country in _facilitator_countries() else Party.SHOP
    lines = []
    for row in document.lines:
        variant = variants.get(row.variant_id)
        if variant is None:
            raise EntryError(f"“{row.title}” is no longer sold: ask the shop for a new invoice.")
        priced = PricedLine(
            _quote_line(variant, document.tenant_id, row.unit_price, row.quantity),
            subtotal=row.unit_price * row.quantity,
            discounts=[LineDiscount(AGREED, Party.SHOP, row.discount)] if row.discount else [],
            tax=row.tax,
            tax_rate_bp=row.tax_rate_bp,
            tax_collector=collector,
            tax_country=country,
            total=row.total,
        )
        lines.append(priced)
    part = ShopQuote(
        document.tenant_id,
        lines,
        prices_include_tax=document.prices_include_tax,
        needs_shipping=any(line.line.requires_shipping for line in lines),
        shipping_amount=document.shipping_amount,
        shipping_tax=document.tax - sum(line.tax for line in lines),
        shipping_tax_collector=collector,
        tax_country=country,
    )
    if document.shipping_method_id:
        part.shipping = ShippingOption(
            document.shipping_method_id, document.shipping_method_name, "", document.shipping_amount
        )
    if document.discount:
        part.discounts.append(AppliedDiscount(AGREED, Party.SHOP, document.discount))
    return part


def _country(document: SalesDocument) -> str:
    """The destination every tax of the document was computed for (its shipping address)."""
    if not document.shipping_address_ct:
        return ""
    return PostalAddress.from_json(document.shipping_address_json).country.upper()


def _facilitator_countries() -> frozenset[str]:
    return frozenset(get_setting(FACILITATOR_COUNTRIES, None) or ())


def line_options(variant: Variant) -> str:
    """The variant's options in words (``Size: M``), as an order line shows them."""
    return option_label(variant, variant.product)[:300]
