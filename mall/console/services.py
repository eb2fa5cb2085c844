"""Operator console services: shop life cycle, commission, settings.

The audit log is in ``mall.console.audit``, the overview's numbers in
``mall.console.stats``. ``shop_preview`` is the console's one read of a shop's
own rows (its products), so the operator sees what a shop prepared before
approving it.

Plain functions that flush and never commit; an invalid request raises
``ConsoleError`` with a message for the operator. Every change writes one
``AuditEvent``; repeating a change that is already in effect does nothing
(no status change, no audit event, no email) and returns False.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.models import User
from mall.catalog.models import Product, ProductStatus
from mall.console import jobs
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.ledger.commission import CommissionError
from mall.ledger.commission_admin import set_shop_rate
from mall.pagination import Page
from mall.shops.models import Membership, Role
from tenants.audit import record_audit
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus
from tenants.services import find_shops
from tenants.settings import get_setting, put_setting

AUTO_APPROVE_SHOPS = "auto_approve_shops"
SHRED_GRACE_DAYS = "shred_grace_days"
DEFAULT_SHRED_GRACE_DAYS = 30
MAX_SHRED_GRACE_DAYS = 365
MAX_REASON_LENGTH = 1000
STATUS_FILTERS = ("pending", "active", "suspended", "closed", "all")
PREVIEW_PRODUCTS = 5
PREVIEW_REASON = "operator: what one shop has prepared (product count, first products) to review it"


class ConsoleError(ValueError):
    """An operator request that cannot be carried out; the message says why."""


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """The operator's platform settings, with defaults filled in."""

    auto_approve_shops: bool
    shred_grace_days: int


def current_settings() -> Settings:
    """Read the platform settings (defaults where never set)."""
    return Settings(
        auto_approve_shops=bool(get_setting(AUTO_APPROVE_SHOPS, False)),
        shred_grace_days=shred_grace_days(),
    )


def shred_grace_days() -> int:
    """Days between closing a shop and destroying its keys."""
    value = get_setting(SHRED_GRACE_DAYS, DEFAULT_SHRED_GRACE_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_SHRED_GRACE_DAYS
    return min(max(days, 1), MAX_SHRED_GRACE_DAYS)


def update_settings(
    *,
    auto_approve_shops: bool,
    shred_grace_days: int,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Save the settings; audited; returns False when nothing changed."""
    if not 1 <= int(shred_grace_days) <= MAX_SHRED_GRACE_DAYS:
        raise ConsoleError(f"The grace period is 1 to {MAX_SHRED_GRACE_DAYS} days.")
    wanted = {AUTO_APPROVE_SHOPS: bool(auto_approve_shops), SHRED_GRACE_DAYS: int(shred_grace_days)}
    old = asdict(current_settings())  # field names are the setting keys
    changed = {key: [old[key], value] for key, value in wanted.items() if old[key] != value}
    if not changed:
        return False
    for key in changed:
        put_setting(key, wanted[key])
    record_audit(
        "settings.updated",
        actor_id=actor_id,
        target_type="settings",
        target_id="platform",
        details={"changed": changed},
        ip_address=ip_address,
    )
    return True


# ---------------------------------------------------------------- shop life cycle

# verb -> (statuses it applies to, resulting status, audit action, refusal message)
TRANSITIONS: dict[str, tuple[set[str], str, str, str]] = {
    "approve": ({"pending"}, "active", "shop.approved", "only a pending shop can be approved"),
    "suspend": ({"active"}, "suspended", "shop.suspended", "only an active shop can be suspended"),
    "reactivate": (
        {"suspended"},
        "active",
        "shop.reactivated",
        "only a suspended shop can be reactivated",
    ),
    "close": ({"pending", "active", "suspended"}, "closed", "shop.closed", "it is closed"),
}


def _needs(shop: Tenant, verb: str) -> bool:
    """False when the shop is already where ``verb`` leads; ConsoleError when it cannot go."""
    allowed, target, _, refusal = TRANSITIONS[verb]
    if shop.status.value == target:
        return False
    if shop.status.value not in allowed:
        raise ConsoleError(f"{shop.name} is {shop.status.value}: {refusal}.")
    return True


def _move(
    shop: Tenant,
    verb: str,
    *,
    actor_id: UUID | None,
    ip_address: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    _, target, action, _ = TRANSITIONS[verb]
    old, shop.status = shop.status, TenantStatus(target)
    db.session.flush()
    record_audit(
        action,
        actor_id=actor_id,
        target_type="shop",
        target_id=shop.id,
        details={"from": old.value, "to": target, **(details or {})},
        ip_address=ip_address,
    )


def approve(shop: Tenant, *, actor_id: UUID | None, ip_address: str | None = None) -> bool:
    """Open a pending shop and email its owners; False if it is already active."""
    if not _needs(shop, "approve"):
        return False
    _move(shop, "approve", actor_id=actor_id, ip_address=ip_address)
    enqueue_after_commit(jobs.send_shop_approved, shop.id)
    return True


def suspend(
    shop: Tenant, *, reason: str, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Suspend an active shop, telling its owners why; False if already suspended."""
    if not _needs(shop, "suspend"):
        return False
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise ConsoleError(
            f"Give the reason (at most {MAX_REASON_LENGTH} characters): the owners will read it."
        )
    shop.suspended_reason = reason
    # The reason is free text that may name people, so the audit event does not copy it.
    _move(shop, "suspend", actor_id=actor_id, ip_address=ip_address)
    enqueue_after_commit(jobs.send_shop_suspended, shop.id)
    return True


def reactivate(shop: Tenant, *, actor_id: UUID | None, ip_address: str | None = None) -> bool:
    """Lift a suspension; False if the shop is already active."""
    if not _needs(shop, "reactivate"):
        return False
    shop.suspended_reason = None
    _move(shop, "reactivate", actor_id=actor_id, ip_address=ip_address)
    return True


def close(
    shop: Tenant, *, confirm_slug: str, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Close a shop and schedule the shredding of its data; False if already closed."""
    if not _needs(shop, "close"):
        return False
    if (confirm_slug or "").strip().lower() != shop.slug:
        raise ConsoleError(f"Type the shop's address, {shop.slug}, to confirm.")
    now, grace = utcnow(), shred_grace_days()
    shop.closed_at = now
    shop.shred_after = now + timedelta(days=grace)
    details = {"grace_days": grace, "shred_after": shop.shred_after.isoformat()}
    _move(shop, "close", actor_id=actor_id, ip_address=ip_address, details=details)
    enqueue_after_commit(jobs.send_shop_closed, shop.id)
    return True


def shred_date_if_closed_now() -> date:
    """The day a shop closed today would have its data erased."""
    return (utcnow() + timedelta(days=shred_grace_days())).date()


def set_commission(
    shop: Tenant, *, rate_bp: int, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Give the shop its own commission rate (basis points); False if it already has it.

    The rate lives with the rest of the commission rules (``mall.ledger.commission``);
    this is the console shop page's way to the same service, audited there.
    """
    try:
        return set_shop_rate(shop, rate_bp=rate_bp, actor_id=actor_id, ip_address=ip_address)
    except CommissionError as refused:
        raise ConsoleError(str(refused)) from None


def get_shop(shop_id: UUID) -> Tenant | None:
    """A shop by id (platform table: no tenant context needed)."""
    return db.session.get(Tenant, shop_id)


def shop_owners(shop: Tenant | UUID) -> list[User]:
    """The shop's owners (platform-scope users), oldest membership first."""
    shop_id = shop if isinstance(shop, UUID) else shop.id
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == shop_id, Membership.role == Role.OWNER)
            .order_by(Membership.created_at, Membership.id)
        )
    )


def list_shops(
    *, status: str = "all", query: str | None = None, page: int = 1, per_page: int = 25
) -> Page:
    """Shops, newest first, by status and name or slug (two queries whatever the page size)."""
    if status not in STATUS_FILTERS:
        raise ConsoleError(f"Unknown status {status!r}.")
    statuses = None if status == "all" else (TenantStatus(status),)
    return find_shops(statuses=statuses, query=query, page=page, per_page=per_page)


# ---------------------------------------------------------------- what a shop prepared


@dataclass(frozen=True)
class ProductLine:
    """One of a shop's products as the operator reviews it."""

    title: str
    price_min: int
    price_max: int
    status: ProductStatus


@dataclass(frozen=True)
class ShopPreview:
    """How many products a shop has, and its first few (oldest first)."""

    product_count: int
    products: list[ProductLine]


def shop_preview(shop: Tenant, *, limit: int = PREVIEW_PRODUCTS) -> ShopPreview:
    """The shop's product count and first ``limit`` products, drafts included (two queries)."""
    own = Product.tenant_id == shop.id
    # The operator is in no shop's context: this one read opens the shops' rows, filtered to one.
    with all_tenants(PREVIEW_REASON):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(own))
        rows = db.session.execute(
            sa.select(Product.title, Product.price_min, Product.price_max, Product.status)
            .where(own)
            .order_by(Product.created_at, Product.id)
            .limit(limit)
        ).all()
    return ShopPreview(
        product_count=count or 0,
        products=[
            ProductLine(title, low, high, ProductStatus(status))
            for title, low, high, status in rows
        ],
    )
