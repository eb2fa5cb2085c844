"""Payouts: the shop's payout pages, the operator's payouts, the Connect webhook."""

from __future__ import annotations

SHOP_ROUTES = {
    "payouts_admin.settings",
    "payouts_admin.refresh",
    "payouts_admin.payout",
}

MALL_ROUTES = {
    "payouts_console.index",
    "payouts_console.settings",
    "payouts_console.run",
    "payouts_console.batch",
    "payouts_console.export",
    "payouts_console.batch_csv",
    "payouts_console.batch_paid",
    "payouts_console.shop",
    "payouts_console.controls",
    "payouts_console.returned",
    "payouts_console.cancel",
    "payouts_webhook.connect_webhook",  # signed by Stripe; no page
}


def make_payout(shop):
    """A manual payout of ``shop`` (nothing posted: the crawler only needs its id)."""
    from uuid import uuid4

    from mall.extensions import db
    from mall.ledger.models import Payout, PayoutMethod
    from tenants.context import tenant_context

    with tenant_context(shop):
        payout = Payout(
            method=PayoutMethod.MANUAL,
            amount=1234,
            currency="USD",
            idempotency_key=f"crawler:{uuid4().hex}",
        )
        db.session.add(payout)
        db.session.commit()
        return payout.id


OBJECT_IDS = {"payout_id": make_payout}
