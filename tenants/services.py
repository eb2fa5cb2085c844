"""Shop services: create shops, change their status, list them for the mall."""

from __future__ import annotations

import re

import sqlalchemy as sa

from mall.db import escape_like
from mall.extensions import db
from mall.pagination import Page, paginate
from tenants.models import Tenant, TenantDomain, TenantStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "www",
        "mail",
        "static",
        "shop",
        "shops",
        "cart",
        "checkout",
        "account",
        "accounts",
        "search",
        "help",
        "support",
        "mall",
        "healthz",
        "privacy",
        "login",
        "logout",
    }
)


class ShopError(ValueError):
    """A shop request that cannot be carried out; the message says why."""


def validate_slug(slug: str) -> str:
    """Return the normalised slug, or raise ShopError saying what is wrong."""
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise ShopError(
            "A shop address uses 3 to 63 lower-case letters, digits and hyphens, "
            "and starts and ends with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        raise ShopError(f"“{slug}” is reserved; please choose another shop address.")
    return slug


def create_shop(
    slug: str,
    *,
    name: str,
    description: str = "",
    status: TenantStatus = TenantStatus.PENDING,
) -> Tenant:
    """Create a shop; raises ShopError for a bad or taken slug."""
    slug = validate_slug(slug)
    if db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ShopError(f"The shop address “{slug}” is taken.")
    shop = Tenant(
        slug=slug,
        name=name.strip(),
        description=description.strip(),
        status=status,
    )
    db.session.add(shop)
    db.session.flush()
    return shop


def set_status(shop: Tenant, status: TenantStatus) -> Tenant:
    """Move a shop to ``status`` (repeating the current status changes nothing)."""
    if shop.status is not status:
        shop.status = status
        db.session.flush()
    return shop


def add_domain(shop: Tenant, host: str) -> TenantDomain:
    """Map a custom host name to ``shop``."""
    host = host.strip().lower().rstrip(".")
    if not host or "/" in host or " " in host:
        raise ShopError("Give a host name such as shop.example.com.")
    existing = db.session.scalar(sa.select(TenantDomain).where(TenantDomain.host == host))
    if existing is not None:
        if existing.tenant_id == shop.id:
            return existing
        raise ShopError(f"{host} already belongs to another shop.")
    domain = TenantDomain(host=host, tenant=shop)
    db.session.add(domain)
    db.session.flush()
    return domain


def find_shops(
    *,
    statuses: tuple[TenantStatus, ...] | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = 24,
) -> Page:
    """Shops, newest first, of ``statuses`` (all when None) matching ``query`` in name or slug."""
    statement = sa.select(Tenant).order_by(Tenant.created_at.desc(), Tenant.id.desc())
    if statuses is not None:
        statement = statement.where(Tenant.status.in_(statuses))
    if query and query.strip():
        pattern = f"%{escape_like(query.strip().lower())}%"
        statement = statement.where(
            sa.func.lower(Tenant.name).like(pattern, escape="\\")
            | Tenant.slug.like(pattern, escape="\\")
        )
    return paginate(statement, page=page, per_page=per_page)


def active_shops(*, page: int = 1, per_page: int = 24, query: str | None = None) -> Page:
    """Active shops, newest first, optionally matching ``query`` in name or slug."""
    return find_shops(statuses=(TenantStatus.ACTIVE,), query=query, page=page, per_page=per_page)
