"""The operator reviews affiliate commissions: opens "Affiliate reviews" in the console, sees a
commission above the review amount with its shop, order, affiliate and reason, approves it,
and the list is empty."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def flagged_sale(live_app, slug: str) -> tuple[str, str]:
    """A paid order of the shop whose commission waits for review, its hold over;
    (affiliate code, order number)."""
    import sqlalchemy as sa

    from affiliates.models import AffiliateCommission
    from affiliates.programs.settings import save_program_settings
    from mall.db import utcnow
    from mall.extensions import db
    from mall.orders.models import Order
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.affiliates.test_attribution import click_entry, make_affiliate, paid_order

    with live_app.app_context():
        save_program_settings({"review_above": 100}, actor_id=None)
        db.session.commit()
        affiliate = make_affiliate()
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        order_id = paid_order(shop, referral=[click_entry(affiliate, days_ago=1)])
        with tenant_context(shop):
            row = db.session.scalars(
                sa.select(AffiliateCommission).where(AffiliateCommission.order_id == order_id)
            ).one()
            row.held_until = utcnow() - timedelta(days=1)
            number = db.session.get(Order, (shop.id, order_id)).number
            db.session.flush()
        db.session.commit()
        save_program_settings({"review_above": 50_000}, actor_id=None)
        db.session.commit()
        return affiliate.code, number


def test_the_operator_approves_a_commission_waiting_for_review(page, live_app):
    suffix = uuid4().hex[:6]
    operator = f"operator-{suffix}@example.com"
    slug = f"lamps-{suffix}"
    make_person(live_app, operator, name="Review Operator", operator=True)
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Lamps {suffix}"))
    code, number = flagged_sale(live_app, slug)

    sign_in(page, operator)
    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Affiliate reviews", exact=True
    ).click()
    row = page.locator("#reviews tbody tr").filter(has_text=code)
    expect(row).to_contain_text(f"Lamps {suffix}")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Above the review amount")
    expect(row).to_contain_text("Waiting for review")

    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert").filter(has_text="Commission approved")).to_be_visible()
    expect(page.locator("#reviews tbody tr").filter(has_text=code)).to_have_count(0)
