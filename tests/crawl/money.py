"""Money checks: the operator's disputes, unattributed refunds, reconciliation and adjustments
(console, operators only), and a shop's disputes (back office, tenant-scoped shares)."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

MALL_ROUTES = {
    "money_console.disputes",
    "money_console.verify_ledger",
    "money_console.dispute",
    "money_console.send_evidence",
    "money_console.unattributed_refunds",
    "money_console.assign_page",
    "money_console.assign",
    "money_console.reconciliation_page",
    "money_console.run_reconciliation",
    "money_console.adjustments_page",
    "money_console.fees_page",
}

SHOP_ROUTES = {
    "disputes_admin.index",
    "disputes_admin.dispute",
    "disputes_admin.evidence",
}


def make_dispute_share(shop):
    """A dispute on a (bank transfer) order of ``shop`` and the shop's share of it; its id."""
    from mall.ledger.models import Dispute, DisputeShare
    from mall.payments.models import Payment, PaymentStatus
    from tenants.context import tenant_context
    from tests.crawl.orders import place_order

    with tenant_context(shop):
        order = place_order(shop)
        payment = Payment(
            checkout_id=order.checkout_id,
            provider="stripe",
            amount=order.total,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
        )
        db.session.add(payment)
        db.session.flush()
        dispute = Dispute(
            provider_ref=f"du_{uuid4().hex[:12]}",
            checkout_id=order.checkout_id,
            payment_id=payment.id,
            amount=order.total,
        )
        db.session.add(dispute)
        db.session.flush()
        share = DisputeShare(dispute_id=dispute.id, order_id=order.id, amount=order.total)
        db.session.add(share)
        db.session.commit()
        return share.id


OBJECT_IDS = {"share_id": make_dispute_share}
