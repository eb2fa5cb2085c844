"""What a coupon does, as plain values the pricing quote applies (no database rows).

``find_coupons`` (services) turns the codes a customer typed into ``CouponRule``
values and messages; ``mall.pricing`` applies them to a cart's lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from mall.money import Party


class CouponKind(StrEnum):
    PERCENT = "percent"  # percent_bp of the eligible subtotal
    FIXED = "fixed"  # amount off the eligible subtotal (never more than it)


@dataclass(frozen=True)
class CouponRule:
    """One applicable coupon: who funds it, what it takes off and from which lines."""

    coupon_id: UUID
    code: str
    funded_by: Party  # SHOP for a shop's coupon, PLATFORM for a mall coupon
    tenant_id: UUID | None  # the shop of a shop coupon; None for a mall coupon
    kind: CouponKind
    percent_bp: int = 0
    amount: int = 0
    minimum_subtotal: int = 0  # of the eligible lines, before any discount
    product_ids: frozenset[UUID] = field(default_factory=frozenset)  # empty: every product
    category_ids: frozenset[UUID] = field(default_factory=frozenset)  # empty: every category
    affiliate_id: UUID | None = None  # an affiliate's coupon attributes the sale (later issue)

    def applies_to(self, *, tenant_id: UUID, product_id: UUID, category_id: UUID | None) -> bool:
        """True when a line of this shop, product and category is eligible."""
        if self.tenant_id is not None and tenant_id != self.tenant_id:
            return False
        if self.product_ids and product_id not in self.product_ids:
            return False
        return not self.category_ids or category_id in self.category_ids
