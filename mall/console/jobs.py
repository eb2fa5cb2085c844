"""Console jobs: shop status emails to owners; shredding closed shops after their grace period.

Jobs receive ids only; they load the shop and its owners themselves.
"""

from __future__ import annotations

import logging
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.mail import deliver, render_message
from mall.shops.models import Membership
from mall.storage import storage
from mall.urls import external_url
from tenants.audit import record_audit
from tenants.context import tenant_context
from tenants.keys import key_service, tenant_scope
from tenants.models import Tenant, TenantDomain, TenantStatus
from tenants.scoping import tenant_models

log = logging.getLogger(__name__)


def _shop_in(shop_id: str, status: TenantStatus) -> Tenant | None:
    """The shop, if it is still in the status the email announces (else the email is stale)."""
    shop = db.session.get(Tenant, UUID(str(shop_id)))
    if shop is None or shop.status is not status:
        return None
    return shop


def _send_to_owners(shop: Tenant, template: str, subject: str, **context: object) -> int:
    from mall.console.services import shop_owners

    sent = 0
    for owner in shop_owners(shop):
        message = render_message(
            template,
            to=owner.email,
            subject=subject,
            name=owner.name or "there",
            shop_name=shop.name,
            **context,
        )
        deliver(message)
        sent += 1
    return sent


@job(queue="mail")
def send_shop_approved(shop_id: str) -> int:
    """Tell the owners their shop is open; returns how many messages went."""
    shop = _shop_in(shop_id, TenantStatus.ACTIVE)
    if shop is None:
        return 0
    return _send_to_owners(
        shop,
        "shop_approved",
        f"Your shop {shop.name} is open at {current_app.config['MALL_NAME']}",
        shop_url=external_url("storefront.shop_home", shop=shop.slug),
    )


@job(queue="mail")
def send_shop_suspended(shop_id: str) -> int:
    """Tell the owners their shop is suspended, and why."""
    shop = _shop_in(shop_id, TenantStatus.SUSPENDED)
    if shop is None:
        return 0
    return _send_to_owners(
        shop,
        "shop_suspended",
        f"Your shop {shop.name} is suspended",
        reason=shop.suspended_reason or "",
    )


@job(queue="mail")
def send_shop_closed(shop_id: str) -> int:
    """Tell the owners their shop is closed and when its data will be erased."""
    shop = _shop_in(shop_id, TenantStatus.CLOSED)
    if shop is None or shop.shred_after is None:
        return 0
    return _send_to_owners(
        shop,
        "shop_closed",
        f"Your shop {shop.name} is closed",
        shred_date=shop.shred_after.strftime("%d %B %Y"),
    )


@job(queue="maintenance", retries=0)
def shred_due_shops() -> int:
    """Destroy the keys of closed shops past their grace period; returns how many."""
    now = utcnow()
    due = db.session.scalars(
        sa.select(Tenant)
        .where(
            Tenant.status == TenantStatus.CLOSED,
            Tenant.shred_after <= now,
            Tenant.shredded_at.is_(None),
        )
        .order_by(Tenant.shred_after)
    ).all()
    for shop in due:
        # The key store is its own database: the keys are gone from here on even if
        # this transaction fails, and the next run shreds again (a no-op) and records it.
        destroyed = key_service().shred(tenant_scope(shop.id))
        shop.shredded_at = now
        record_audit(
            "shop.shredded",
            actor_id=None,
            target_type="shop",
            target_id=shop.id,
            details={"key_versions_destroyed": destroyed},
        )
        enqueue_after_commit(purge_shop_rows, shop.id)
        log.info("shop %s shredded (%d key versions)", shop.id, destroyed)
    db.session.flush()
    return len(due)


def purge_order() -> list[type]:
    """Every tenant model, children before parents (each metadata's sorted tables, reversed)."""
    models = {model.__table__: model for model in tenant_models()}
    metadatas = {id(t.metadata): t.metadata for t in models}.values()
    return [models[t] for m in metadatas for t in reversed(m.sorted_tables) if t in models]


@job(queue="maintenance")
def purge_shop_rows(tenant_id: str) -> int:
    """Delete a shredded shop's rows and memberships; the shop row stays as a tombstone."""
    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    # Only after shredding: never delete the rows of a shop whose data is still wanted.
    if shop is None or shop.shredded_at is None:
        return 0
    deleted = 0
    with tenant_context(shop.id):
        for model in purge_order():
            result = db.session.execute(
                sa.delete(model)
                .where(model.tenant_id == shop.id)
                .execution_options(synchronize_session=False)
            )
            deleted += result.rowcount or 0
    for platform_model in (Membership, TenantDomain):
        result = db.session.execute(
            sa.delete(platform_model).where(platform_model.tenant_id == shop.id)
        )
        deleted += result.rowcount or 0
    # The shop's files (its logos) go too, and its custom domains are free again.
    storage().delete_prefix(f"logos/{shop.id}")
    shop.logo_path = None
    log.info("shop %s purged (%d rows)", shop.id, deleted)
    return deleted
