"""Retention: orders past the retention period lose the person (amounts stay), and sign-in
events, download logs and audit IP addresses past the log period are deleted; both jobs are
periodic and safe to run again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from mall.accounts import jobs as account_jobs
from mall.accounts.models import LoginEvent
from mall.accounts.retention import anonymise_orders_past_retention, prune_logs
from mall.db import utcnow
from mall.delivery.models import DownloadEvent
from mall.extensions import db
from mall.invoices.models import Invoice
from mall.ledger.models import LedgerLine
from mall.ledger.sales import post_payment
from mall.orders.models import Order
from mall.schedule import periodic_jobs
from tenants.context import tenant_context
from tenants.keys import ERASED
from tenants.models import AuditEvent
from tests.support.delivery import digital_product, paid_order, the_grant

YEARS = 365 * 8


def ledger_sums() -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.select(LedgerLine.account, sa.func.sum(LedgerLine.amount)).group_by(
                LedgerLine.account
            )
        ).all()
    )


def aged_order(shop, *, days: int):
    font = digital_product(shop)
    order_id = paid_order(shop, font.variant_id, email="old.buyer@example.com")
    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        order.placed_at = utcnow() - timedelta(days=days)
        post_payment(order)  # once per order (keyed): the money is in the ledger
        db.session.commit()
    return order_id, font


def test_orders_past_retention_lose_the_person_and_keep_their_amounts(app_ctx, shop_a, shop_b):
    old_id, _ = aged_order(shop_a, days=YEARS)
    other_old_id, _ = aged_order(shop_b, days=YEARS)
    recent_id, _ = aged_order(shop_a, days=30)
    with tenant_context(shop_a):
        old = db.session.get(Order, (shop_a.id, old_id))
        old.shipping_address_json = '{"name": "Old Buyer"}'
        sealed_before = bytes(old.email_ct)
        totals = (old.total, old.subtotal, old.tax)
        invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == old_id))
        assert invoice is not None and invoice.buyer_ct is not None
        invoice_total = invoice.total
        db.session.commit()
    sums = ledger_sums()
    assert sums and any(sums.values())

    assert anonymise_orders_past_retention() == 2
    db.session.commit()
    db.session.expire_all()
    with tenant_context(shop_a):
        old = db.session.get(Order, (shop_a.id, old_id))
        assert old.email == ERASED and bytes(old.email_ct) != sealed_before
        assert old.shipping_address_ct is None and old.billing_address_ct is None
        assert (old.total, old.subtotal, old.tax) == totals
        invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == old_id))
        assert invoice.buyer_ct is None and invoice.total == invoice_total
        recent = db.session.get(Order, (shop_a.id, recent_id))
        assert recent.email == "old.buyer@example.com"
    with tenant_context(shop_b):
        assert db.session.get(Order, (shop_b.id, other_old_id)).email == ERASED
    assert ledger_sums() == sums
    # Safe to run again: nothing is left to do.
    assert anonymise_orders_past_retention() == 0


def test_the_retention_period_is_configurable(app, app_ctx, shop_a):
    order_id, _ = aged_order(shop_a, days=400)
    app.config["RETENTION_YEARS"], years = 1, app.config["RETENTION_YEARS"]
    try:
        assert anonymise_orders_past_retention() == 1
    finally:
        app.config["RETENTION_YEARS"] = years
    with tenant_context(shop_a):
        assert db.session.get(Order, (shop_a.id, order_id)).email == ERASED


def test_logs_past_their_period_are_deleted(app, app_ctx, shop_a, make_user):
    user = make_user("logged@example.com")
    long_ago = utcnow() - timedelta(days=app.config["LOG_RETENTION_DAYS"] + 1)
    for when in (long_ago, utcnow()):
        event = LoginEvent(user_id=user.id, succeeded=True, created_at=when)
        event.ip_address = "203.0.113.9"
        db.session.add(event)
        audit = AuditEvent(action="test", target_type="test", created_at=when)
        audit.ip_address = "203.0.113.9"
        db.session.add(audit)
    db.session.commit()
    order_id, font = aged_order(shop_a, days=1)
    grant = the_grant(shop_a, order_id)
    with tenant_context(shop_a):
        for when in (long_ago, utcnow()):
            download = DownloadEvent(grant_id=grant.id, file_id=font.file_ids[0], created_at=when)
            download.ip_address = "203.0.113.10"
            db.session.add(download)
        db.session.commit()

    assert prune_logs() == 3
    db.session.commit()
    logins = db.session.scalars(sa.select(LoginEvent).where(LoginEvent.user_id == user.id)).all()
    assert [e.created_at > long_ago for e in logins] == [True]
    with tenant_context(shop_a):
        downloads = db.session.scalars(
            sa.select(DownloadEvent).where(DownloadEvent.grant_id == grant.id)
        ).all()
        assert len(downloads) == 1 and downloads[0].created_at > long_ago
    audits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "test")).all()
    assert sorted(a.ip_ct is None for a in audits) == [False, True]
    assert prune_logs() == 0  # safe to run again


def test_the_jobs_are_periodic(app):
    refs = {periodic.ref for periodic in periodic_jobs(app)}
    for job in (
        account_jobs.delete_expired_exports,
        account_jobs.anonymise_old_orders,
        account_jobs.prune_personal_logs,
    ):
        assert job.job_ref in refs
    assert app.config["RETENTION_YEARS"] == 7
    assert app.config["LOG_RETENTION_DAYS"] == 90
    assert app.config["EXPORT_LINK_HOURS"] == 48
