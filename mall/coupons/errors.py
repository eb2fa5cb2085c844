"""The coupons domain's errors: messages a customer or shop owner can read."""

from __future__ import annotations


class CouponError(ValueError):
    """A coupon that cannot be used, created or changed; the message says why."""


class InvalidCoupon(CouponError):
    """A coupon's input has problems: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors
