"""Retention: personal data is kept only as long as it is needed, then removed by periodic jobs.

- Orders: a shop keeps its copy of an order for its tax records for its retention
  period (``mall.shops.retention``: the shop's choice of 1-30 years, else
  ``RETENTION_YEARS``, ``MALL_RETENTION_YEARS``, default 7) after the order was
  placed; then ``anonymise_orders_past_retention`` removes the person from it:
  the contact email becomes "[erased]" (sealed again, so the shop's pages still
  open it), the addresses, the invoice's buyer and the account link go, and the
  download log of its grants is deleted. Numbers, lines and amounts stay, so the
  ledger, statements and invoices' totals are unchanged. The platform's copy in
  the checkout goes after the platform's period (``RETENTION_YEARS``).
- Other domains' records of people: ``add_retention_step(app, func)``; the same
  daily job calls ``func(shop_id, cutoff)`` in each shop's context with that shop's
  cutoff (the CRM deletes the customers nobody has heard of since).
- Logs: sign-in events, the download logs of every shop and the IP address of
  audit events are deleted (the IP) after ``LOG_RETENTION_DAYS``
  (``MALL_LOG_RETENTION_DAYS``, default 90): IP addresses are personal data.

Both sweeps are idempotent: a second run finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app

from mall.accounts.models import LoginEvent
from mall.checkout.models import Checkout
from mall.db import utcnow
from mall.delivery.models import DownloadEvent, DownloadGrant
from mall.extensions import db
from mall.invoices.models import Invoice
from mall.orders.models import Order
from mall.shops.retention import default_retention_years, retention_years_by_shop
from tenants.context import all_tenants, tenant_context
from tenants.keys import ERASED, KeyDestroyed, tenant_scope
from tenants.models import AuditEvent, Tenant

BATCH = 500
STEPS_KEY = "mall.privacy.retention_steps"
RetentionStep = Callable[[UUID, datetime], object]


def add_retention_step(app: Flask, func: RetentionStep) -> None:
    """Run ``func(shop_id, cutoff)`` daily in each shop's context: delete what that shop holds
    about people not heard of since ``cutoff`` (the end of the shop's retention period)."""
    steps = app.extensions.setdefault(STEPS_KEY, [])
    if func not in steps:
        steps.append(func)


def retention_years() -> int:
    """The platform's retention period in years (``MALL_RETENTION_YEARS``); shops may differ."""
    return default_retention_years()


def log_retention_days() -> int:
    """Days sign-in events and download logs are kept (``MALL_LOG_RETENTION_DAYS``)."""
    return int(current_app.config.get("LOG_RETENTION_DAYS") or 90)


def order_cutoff(now: datetime | None = None, *, years: int | None = None) -> datetime:
    """Orders placed before this are past the retention period (``years``, else the default)."""
    years = retention_years() if years is None else years
    return (now or utcnow()) - timedelta(days=365 * years + years // 4)


def anonymise_orders_past_retention(*, now: datetime | None = None) -> int:
    """Remove the person from every shop's orders past its retention period, and run the other
    domains' retention steps in each shop; returns how many orders.

    Each shop is handled in its own context (its own key), with its own period; a shop whose
    keys were destroyed (closed and shredded) is skipped: its data is erased already.
    """
    now = now or utcnow()
    chosen = retention_years_by_shop()
    steps = list(current_app.extensions.get(STEPS_KEY, ()))
    earliest = order_cutoff(now, years=min([retention_years(), *chosen.values()]))
    with all_tenants("retention: which shops hold orders past the retention period (ids only)"):
        with_old_orders = set(
            db.session.scalars(
                sa.select(Order.tenant_id).where(Order.placed_at < earliest).distinct()
            )
        )
    # Every shop whose keys still exist runs the steps; only those with old orders the orders.
    shop_ids = db.session.scalars(sa.select(Tenant.id).where(Tenant.shredded_at.is_(None))).all()
    done = 0
    for shop_id in shop_ids:
        cutoff = order_cutoff(now, years=chosen.get(shop_id, retention_years()))
        with tenant_context(shop_id):
            try:
                if shop_id in with_old_orders:
                    done += anonymise_shop_orders(shop_id, cutoff=cutoff)
                for step in steps:
                    step(shop_id, cutoff)
            except KeyDestroyed:
                continue
    db.session.execute(
        sa.update(Checkout)
        .where(Checkout.created_at < order_cutoff(now), Checkout.email_ct.is_not(None))
        .values(email_ct=None, email_index=None, shipping_address_ct=None, billing_address_ct=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return done


def anonymise_shop_orders(shop_id: UUID, *, cutoff: datetime) -> int:
    """Anonymise the shop in context's orders placed before ``cutoff``; how many."""
    erased = Order.email.lookup(ERASED, scope=tenant_scope(shop_id))
    done = 0
    while True:
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.placed_at < cutoff, Order.email_index != erased)
            .order_by(Order.placed_at, Order.id)
            .limit(BATCH)
        ).all()
        if not orders:
            return done
        anonymise_orders(orders)
        done += len(orders)


def anonymise_orders(orders: list[Order]) -> None:
    """Remove the person from these orders of the shop in context; amounts stay as they are."""
    ids = [order.id for order in orders]
    for order in orders:
        order.email = ERASED
        order.shipping_address_json = None
        order.billing_address_json = None
        order.user_id = None
    db.session.execute(
        sa.update(Invoice)
        .where(Invoice.order_id.in_(ids))
        .values(buyer_ct=None)
        .execution_options(synchronize_session=False)
    )
    grants = sa.select(DownloadGrant.id).where(DownloadGrant.order_id.in_(ids))
    db.session.execute(
        sa.delete(DownloadEvent)
        .where(DownloadEvent.grant_id.in_(grants))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(DownloadGrant)
        .where(DownloadGrant.order_id.in_(ids))
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def prune_logs(*, now: datetime | None = None) -> int:
    """Delete sign-in events and download logs older than the log period, and the IP address
    of older audit events; returns how many rows went or lost their IP."""
    cutoff = (now or utcnow()) - timedelta(days=log_retention_days())
    gone = db.session.execute(sa.delete(LoginEvent).where(LoginEvent.created_at < cutoff))
    count = gone.rowcount or 0
    with all_tenants("retention: delete every shop's download log past the log period"):
        gone = db.session.execute(
            sa.delete(DownloadEvent)
            .where(DownloadEvent.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        count += gone.rowcount or 0
    cleared = db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.created_at < cutoff, AuditEvent.ip_ct.is_not(None))
        .values(ip_ct=None)
        .execution_options(synchronize_session=False)
    )
    count += cleared.rowcount or 0
    db.session.flush()
    return count
