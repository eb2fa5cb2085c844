"""The cart's periodic job: idle carts go."""

from __future__ import annotations

from mall.jobs import job


@job(queue="maintenance", retries=0)
def expire_idle_carts() -> int:
    """Delete carts unused for ``CART_IDLE_DAYS`` (guests' and accounts'); returns how many."""
    from mall.cart.services import expire_idle_carts as expire

    return expire()
