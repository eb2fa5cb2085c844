"""An affiliate opens their dashboard, follows a payout in the payouts list, reads what it
settled (a commission from a shop, with the shop's order number) and goes back."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def affiliate_with_a_payout(live_app, suffix: str) -> tuple[str, str]:
    """An approved affiliate with one PayPal payout settling a commission of a shop; (email,
    the shop's order number of the commission)."""
    import sqlalchemy as sa

    from affiliates.models import (
        Affiliate,
        AffiliateCommission,
        AffiliatePayout,
        AffiliatePayoutBatch,
        AffiliateStatus,
        CommissionStatus,
        PayoutMethod,
    )
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db
    from mall.orders.models import Order
    from tenants.context import all_tenants
    from tenants.models import Tenant
    from tests.crawl.affiliates_dashboard import make_commission

    email = f"paid-{suffix}@example.com"
    slug = f"kites-{suffix}"
    make_person(live_app, email, name="Pat Payout")
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Kites {suffix}"))
    with live_app.app_context():
        mine = Affiliate(
            user_id=find_user_by_email(email).id,
            code=f"PAID-{suffix.upper()}",
            status=AffiliateStatus.APPROVED,
        )
        db.session.add(mine)
        db.session.flush()
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        batch = AffiliatePayoutBatch(batch_key=f"e2e-{suffix}", total=2500)
        db.session.add(batch)
        db.session.flush()
        payout = AffiliatePayout(
            batch_id=batch.id, affiliate_id=mine.id, amount=2500, method=PayoutMethod.PAYPAL
        )
        db.session.add(payout)
        db.session.commit()
        sale_id = make_commission(shop, affiliate=mine, amount=2500, status=CommissionStatus.PAID)
        with all_tenants("e2e: the payout's commissions"):
            sale = db.session.get(AffiliateCommission, (shop.id, sale_id))
            sale.payout_id = payout.id
            number = db.session.get(Order, (shop.id, sale.order_id)).number
            db.session.commit()
    return email, number


def test_an_affiliate_reads_what_a_payout_settled(page, live_app, live_server):
    suffix = uuid4().hex[:6]
    email, number = affiliate_with_a_payout(live_app, suffix)

    sign_in(page, email)
    page.goto(f"{live_server}/affiliates/dashboard")
    payouts = page.locator("#payouts")
    expect(payouts).to_contain_text("$25.00")
    payouts.get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="Your payout of")).to_be_visible()
    expect(page.locator("#payout-summary")).to_contain_text("$25.00")
    expect(page.locator("#payout-summary")).to_contain_text("On its way")
    settled = page.locator("#payout-commissions")
    expect(settled).to_contain_text(f"Kites {suffix}")
    expect(settled).to_contain_text(number)
    expect(settled).to_contain_text("$25.00")
    page.get_by_role("link", name="Your affiliate dashboard").click()
    expect(page.get_by_role("heading", name="Your affiliate dashboard")).to_be_visible()
