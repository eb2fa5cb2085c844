"""A shop's return policy: its window (per category override), who pays the return shipping.

``window_for`` is the one place that applies the precedence: a category's own
window, else the shop's, else the default (30 days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Category, Product
from mall.db import utcnow
from mall.extensions import db
from mall.returns.errors import ReturnError
from mall.returns.models import (
    DEFAULT_WINDOW_DAYS,
    ReturnCategoryWindow,
    ReturnPayer,
    ReturnPolicy,
)
from tenants.context import current_tenant_id

MAX_WINDOW_DAYS = 365
MAX_TEXT = 500


@dataclass(frozen=True)
class PolicyShown:
    """What a product page says about returns."""

    window_days: int
    payer: ReturnPayer
    text: str


def get_policy() -> ReturnPolicy | None:
    """The policy row of the shop in context, or None (the defaults apply)."""
    return db.session.scalar(sa.select(ReturnPolicy))


def category_windows() -> dict[UUID, int]:
    """The shop's windows per category id."""
    rows = db.session.execute(
        sa.select(ReturnCategoryWindow.category_id, ReturnCategoryWindow.window_days)
    )
    return {category_id: days for category_id, days in rows}


def window_for(
    category_id: UUID | None, *, shop_days: int | None, overrides: Mapping[UUID, int]
) -> int:
    """The return window in days for a product of ``category_id``: category > shop > default."""
    if category_id is not None and category_id in overrides:
        return overrides[category_id]
    return shop_days if shop_days is not None else DEFAULT_WINDOW_DAYS


def windows_of_products(product_ids: Iterable[UUID]) -> dict[UUID, int]:
    """The window of each product (a deleted product: the shop's window); three queries."""
    policy = get_policy()
    overrides = category_windows()
    shop_days = policy.window_days if policy else None
    ids = sorted(set(product_ids))
    categories: dict[UUID, UUID | None] = {}
    if ids:
        rows = db.session.execute(
            sa.select(Product.id, Product.category_id).where(Product.id.in_(ids))
        )
        categories = {product_id: category_id for product_id, category_id in rows}
    return {
        product_id: window_for(categories.get(product_id), shop_days=shop_days, overrides=overrides)
        for product_id in ids
    }


def product_policy(product: Product) -> PolicyShown:
    """The policy a product page shows (one query; the shop in context)."""
    category = product.category_id
    row = db.session.execute(
        sa.select(ReturnPolicy, ReturnCategoryWindow.window_days).outerjoin(
            ReturnCategoryWindow,
            sa.and_(
                ReturnCategoryWindow.tenant_id == ReturnPolicy.tenant_id,
                ReturnCategoryWindow.category_id == category,
            ),
        )
    ).first()
    if row is None:
        return PolicyShown(DEFAULT_WINDOW_DAYS, ReturnPayer.CUSTOMER, "")
    policy, category_days = row
    overrides = (
        {category: category_days} if category is not None and category_days is not None else {}
    )
    days = window_for(category, shop_days=policy.window_days, overrides=overrides)
    return PolicyShown(days, policy.payer, policy.text)


def _check_days(days: int) -> None:
    if not 0 <= days <= MAX_WINDOW_DAYS:
        raise ReturnError(f"Enter a window from 0 to {MAX_WINDOW_DAYS} days.")


def save_policy(
    window_days: int,
    *,
    payer: ReturnPayer,
    text: str,
    overrides: Mapping[UUID, int | None],
) -> ReturnPolicy:
    """Set the shop's policy and its category windows (None removes a category's window)."""
    _check_days(window_days)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ReturnError(f"Use at most {MAX_TEXT} characters for the policy text.")
    policy = get_policy()
    if policy is None:
        policy = ReturnPolicy(tenant_id=current_tenant_id())
        db.session.add(policy)
    policy.window_days = window_days
    policy.payer = payer
    policy.text = text
    policy.updated_at = utcnow()
    known = set(db.session.scalars(sa.select(Category.id).where(Category.id.in_(list(overrides)))))
    existing = {row.category_id: row for row in db.session.scalars(sa.select(ReturnCategoryWindow))}
    for category_id, days in overrides.items():
        if category_id not in known:
            raise ReturnError("Choose a category from the list.")
        row = existing.get(category_id)
        if days is None:
            if row is not None:
                db.session.delete(row)
            continue
        _check_days(days)
        if row is None:
            db.session.add(
                ReturnCategoryWindow(
                    tenant_id=policy.tenant_id, category_id=category_id, window_days=days
                )
            )
        else:
            row.window_days = days
    db.session.flush()
    return policy
