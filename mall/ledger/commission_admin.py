"""The operator's side of commission: mall-wide settings, each shop's rate and its
category overrides, and the console's lists of them.

Which rate applies is decided in ``mall.ledger.commission.rate_for`` only. These
are plain functions that flush and never commit; a change that cannot be made
raises ``CommissionError`` with a message for the operator. Every change writes
one audit event (on the shop, so the console's shop page lists it); repeating a
change already in effect writes nothing and returns False.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.catalog.models import Category
from mall.extensions import db
from mall.ledger.commission import (
    DEFAULT_BP,
    DEFAULT_RULE,
    FEE_TAX_BP,
    INCLUDE_SHIPPING,
    MAX_BP,
    SHOP_RULE,
    CategoryRate,
    CommissionError,
    CommissionSettings,
    Rate,
    commission_settings,
    percent_text,
)
from mall.ledger.models import CommissionRate
from mall.pagination import MAX_PER_PAGE, Page
from tenants.audit import record_audit
from tenants.models import Tenant, TenantStatus
from tenants.services import find_shops
from tenants.settings import put_setting

# Setting keys in the audit log's words (details read "mall commission: 10% → 12.5%").
AUDIT_NAMES = {
    "default_bp": "mall_commission",
    "include_shipping": "commission_on_shipping",
    "fee_tax_bp": "tax_on_commission",
}
SETTING_KEYS = {
    "default_bp": DEFAULT_BP,
    "include_shipping": INCLUDE_SHIPPING,
    "fee_tax_bp": FEE_TAX_BP,
}


def _check_rate(rate_bp: int, what: str = "The commission") -> int:
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= MAX_BP:
        raise CommissionError(f"{what} is between 0 and 100 percent.")
    return rate_bp


def _shown(key: str, value: Any) -> Any:
    return f"{percent_text(value)}%" if key.endswith("_bp") else value


# ---------------------------------------------------------------- mall-wide settings


def update_commission_settings(
    *,
    default_bp: int,
    include_shipping: bool,
    fee_tax_bp: int,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Save the mall default rate, whether shipping counts and the tax on the fee; audited.

    Applies to orders paid from now on (paid orders keep their frozen commission).
    """
    wanted = CommissionSettings(
        default_bp=_check_rate(default_bp),
        include_shipping=bool(include_shipping),
        fee_tax_bp=_check_rate(fee_tax_bp, "The tax on the commission"),
    )
    old, new = asdict(commission_settings()), asdict(wanted)
    changed = {field: [old[field], new[field]] for field in new if old[field] != new[field]}
    if not changed:
        return False
    for field in changed:
        put_setting(SETTING_KEYS[field], new[field])
    record_audit(
        "commission.settings_updated",
        actor_id=actor_id,
        target_type="settings",
        target_id="platform",
        details={
            "changed": {
                AUDIT_NAMES[field]: [_shown(field, before), _shown(field, after)]
                for field, (before, after) in changed.items()
            }
        },
        ip_address=ip_address,
    )
    return True


# ---------------------------------------------------------------- a shop's rates


def _open(shop: Tenant) -> None:
    if shop.status is TenantStatus.CLOSED:
        raise CommissionError(f"{shop.name} is closed: its commission no longer applies.")


def _stored(shop_id: UUID, category_id: UUID | None) -> CommissionRate | None:
    same = (
        CommissionRate.category_id.is_(None)
        if category_id is None
        else CommissionRate.category_id == category_id
    )
    return db.session.scalar(
        sa.select(CommissionRate).where(CommissionRate.shop_id == shop_id, same)
    )


def _put(shop_id: UUID, category_id: UUID | None, rate_bp: int) -> int | None:
    """Insert or change the shop's row for ``category_id``; its previous rate (None: new)."""
    row = _stored(shop_id, category_id)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    CommissionRate(shop_id=shop_id, category_id=category_id, rate_bp=rate_bp)
                )
            return None
        except IntegrityError:
            # Another request added the same row meanwhile: change that one.
            row = _stored(shop_id, category_id)
            if row is None:
                raise
    old = row.rate_bp
    row.rate_bp = rate_bp
    db.session.flush()
    return old


def _audit(action: str, shop: Tenant, actor: dict[str, Any], **details: Any) -> None:
    record_audit(action, target_type="shop", target_id=shop.id, details=details, **actor)


def set_shop_rate(
    shop: Tenant, *, rate_bp: int | None, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Give the shop its own rate, or (None) let the mall default apply to it; audited."""
    _open(shop)
    actor = {"actor_id": actor_id, "ip_address": ip_address}
    default_bp = commission_settings().default_bp
    row = _stored(shop.id, None)
    if rate_bp is None:
        if row is None:
            return False
        old = row.rate_bp
        db.session.delete(row)
        db.session.flush()
        _audit(
            "commission.shop_rate_removed",
            shop,
            actor,
            from_bp=old,
            to_bp=default_bp,
            applies="mall default",
        )
        return True
    _check_rate(rate_bp)
    if row is not None and row.rate_bp == rate_bp:
        return False
    old = _put(shop.id, None, rate_bp)
    _audit(
        "commission.shop_rate_set",
        shop,
        actor,
        from_bp=default_bp if old is None else old,
        to_bp=rate_bp,
        applies="shop rate",
    )
    return True


def set_category_rate(
    shop: Tenant,
    *,
    category_id: UUID,
    rate_bp: int,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Set the shop's rate for a category (and the categories below it); audited."""
    _open(shop)
    _check_rate(rate_bp)
    category = db.session.get(Category, category_id)
    if category is None:
        raise CommissionError("Choose an existing category.")
    row = _stored(shop.id, category.id)
    if row is not None and row.rate_bp == rate_bp:
        return False
    old = _put(shop.id, category.id, rate_bp)
    _audit(
        "commission.category_rate_set",
        shop,
        {"actor_id": actor_id, "ip_address": ip_address},
        category=category.name,
        from_bp=old,
        to_bp=rate_bp,
    )
    return True


def remove_category_rate(
    shop: Tenant, *, category_id: UUID, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Remove the shop's override for a category (the next rule applies again); audited."""
    _open(shop)
    row = _stored(shop.id, category_id)
    if row is None:
        return False
    name = db.session.scalar(sa.select(Category.name).where(Category.id == category_id))
    old = row.rate_bp
    db.session.delete(row)
    db.session.flush()
    _audit(
        "commission.category_rate_removed",
        shop,
        {"actor_id": actor_id, "ip_address": ip_address},
        category=name or "",
        from_bp=old,
        to_bp=None,
    )
    return True


# ---------------------------------------------------------------- the console's lists


@dataclass(frozen=True)
class ShopRateRow:
    """A shop in the console's commission list: its own rate (None: mall default), overrides."""

    shop: Tenant
    rate_bp: int | None
    overrides: int


def shops_with_rates(*, query: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Shops, newest first, matching ``query``, with their rates (three queries per page)."""
    shops = find_shops(query=query, page=page, per_page=per_page)
    ids = [shop.id for shop in shops.items]
    found: dict[UUID, tuple[int | None, int]] = {}
    if ids:
        rows = db.session.execute(
            sa.select(
                CommissionRate.shop_id,
                sa.func.max(
                    sa.case((CommissionRate.category_id.is_(None), CommissionRate.rate_bp))
                ),
                sa.func.count(CommissionRate.category_id),
            )
            .where(CommissionRate.shop_id.in_(ids))
            .group_by(CommissionRate.shop_id)
        )
        found = {shop_id: (rate_bp, overrides) for shop_id, rate_bp, overrides in rows}
    items = [ShopRateRow(shop, *found.get(shop.id, (None, 0))) for shop in shops.items]
    return Page(items=items, page=shops.page, per_page=shops.per_page, total=shops.total)


def category_rates(shop_id: UUID, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of the shop's category overrides, by category name (two queries)."""
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    mine = CommissionRate.shop_id == shop_id, CommissionRate.category_id.is_not(None)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(CommissionRate).where(*mine))
    rows = db.session.execute(
        sa.select(CommissionRate.category_id, Category.name, CommissionRate.rate_bp)
        .join(Category, Category.id == CommissionRate.category_id)
        .where(*mine)
        .order_by(Category.name, Category.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [CategoryRate(category_id, name, rate_bp) for category_id, name, rate_bp in rows]
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


def category_rate(shop_id: UUID, category_id: UUID) -> int | None:
    """The shop's override for one category, if it has one."""
    row = _stored(shop_id, category_id)
    return None if row is None else row.rate_bp


def shop_rates_of(shop_ids: list[UUID]) -> dict[UUID, Rate]:
    """Each shop's own rate (or the mall default) for a list of shops, in two queries."""
    settings = commission_settings()
    own = (
        dict(
            db.session.execute(
                sa.select(CommissionRate.shop_id, CommissionRate.rate_bp).where(
                    CommissionRate.shop_id.in_(shop_ids), CommissionRate.category_id.is_(None)
                )
            ).all()
        )
        if shop_ids
        else {}
    )
    return {
        shop_id: Rate(own[shop_id], SHOP_RULE)
        if shop_id in own
        else Rate(settings.default_bp, DEFAULT_RULE)
        for shop_id in shop_ids
    }
