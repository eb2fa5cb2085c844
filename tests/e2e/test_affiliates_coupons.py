"""A shop owner gives an affiliate a coupon: opens "Affiliate coupons" in the back office,
links the coupon to the affiliate's code, sees it linked, and unlinks it again."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def coupon_and_affiliate(live_app, slug: str, code: str) -> str:
    """A coupon ``code`` of the shop and an approved affiliate; the affiliate's code."""
    import sqlalchemy as sa

    from mall.coupons.models import ShopCoupon
    from mall.coupons.rules import CouponKind
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.affiliates.test_attribution import make_affiliate

    with live_app.app_context():
        affiliate = make_affiliate()
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            db.session.add(
                ShopCoupon(tenant_id=shop.id, code=code, kind=CouponKind.PERCENT, percent_bp=1000)
            )
            db.session.flush()
        db.session.commit()
        return affiliate.code


def test_the_owner_links_a_coupon_to_an_affiliate_and_unlinks_it(page, live_app):
    suffix = uuid4().hex[:6]
    owner = f"owner-{suffix}@example.com"
    slug = f"pots-{suffix}"
    make_person(live_app, owner, owns=(slug, f"Pots {suffix}"))
    affiliate = coupon_and_affiliate(live_app, slug, "POTS10")

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/affiliates/coupons/")
    row = page.locator("#affiliate-coupons tbody tr").filter(has_text="POTS10")
    expect(row).to_contain_text("none")
    page.get_by_label("Coupon code").fill("pots10")
    page.get_by_label("Affiliate code").fill(affiliate)
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Coupon linked")).to_be_visible()
    expect(row).to_contain_text(affiliate)

    row.get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("alert").filter(has_text="Coupon unlinked")).to_be_visible()
    expect(row).to_contain_text("none")
