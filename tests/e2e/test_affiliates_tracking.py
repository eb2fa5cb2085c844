"""A visitor follows an affiliate's short link to a product page: the click is recorded and
the browser keeps the signed referral cookie (HttpOnly: no script can read it)."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person

# Headless Chromium says so in its User-Agent, and the mall gives bots no cookie.
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0"


def affiliate_and_product(live_app, suffix: str) -> tuple[str, str, str]:
    """An approved affiliate and a shop selling one product; (code, product path, title)."""
    import sqlalchemy as sa

    from affiliates.models import Affiliate, AffiliateStatus
    from mall.catalog.models import Product
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.support.shopping import stock_shop

    slug = f"kites-{suffix}"
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Kites {suffix}"))
    code = f"SKY-{suffix.upper()}"
    title = f"Red kite {suffix}"
    with live_app.app_context():
        db.session.add(Affiliate(code=code, status=AffiliateStatus.APPROVED))
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        stocked = stock_shop(shop, title=title)
        with tenant_context(shop):
            product_slug = db.session.get(Product, (shop.id, stocked.product_id)).slug
        db.session.commit()
    return code, f"/shop/{slug}/products/{product_slug}", title


def clicks_of(live_app, code: str) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from affiliates.models import Affiliate, AffiliateClick
    from mall.extensions import db

    with live_app.app_context():
        return [
            (click.landing_path, click.agent.value)
            for click in db.session.scalars(
                sa.select(AffiliateClick)
                .join(Affiliate, Affiliate.id == AffiliateClick.affiliate_id)
                .where(Affiliate.code == code)
            )
        ]


def test_a_visitor_follows_a_short_link_to_a_product(page, live_app):
    suffix = uuid4().hex[:6]
    code, product_path, title = affiliate_and_product(live_app, suffix)
    page.set_extra_http_headers({"User-Agent": DESKTOP})

    page.goto(f"/r/{code}?to={product_path}")

    assert urlsplit(page.url).path == product_path
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "mall_ref"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("mall_ref") == -1
    assert clicks_of(live_app, code) == [(product_path, "desktop")]


def test_a_link_with_ref_records_the_visit_and_keeps_the_page(page, live_app):
    suffix = uuid4().hex[:6]
    code, product_path, title = affiliate_and_product(live_app, suffix)
    page.set_extra_http_headers({"User-Agent": DESKTOP})

    page.goto(f"{product_path}?ref={code.lower()}")

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert [c["name"] for c in page.context.cookies()].count("mall_ref") == 1
    assert clicks_of(live_app, code) == [(product_path, "desktop")]


def test_a_short_link_to_another_site_stays_on_the_mall(page, live_app):
    suffix = uuid4().hex[:6]
    code, _, _ = affiliate_and_product(live_app, suffix)
    page.set_extra_http_headers({"User-Agent": DESKTOP})

    page.goto(f"/r/{code}?to=https://evil.example/")

    landed = urlsplit(page.url)
    assert (landed.hostname, landed.path) == ("127.0.0.1", "/")  # the mall's home page


def test_a_short_link_to_another_port_or_a_dotted_path_stays_on_the_mall(page, live_app):
    suffix = uuid4().hex[:6]
    code, product_path, _ = affiliate_and_product(live_app, suffix)
    page.set_extra_http_headers({"User-Agent": DESKTOP})

    page.goto(f"/r/{code}?to=http://mall.test:8081/")  # the public URL is http://mall.test
    landed = urlsplit(page.url)
    assert (landed.hostname, landed.path) == ("127.0.0.1", "/")

    shop, _, product = product_path.rpartition("/")
    page.goto(f"/r/{code}?to={shop}/..//products/./{product}")
    assert urlsplit(page.url).path == product_path
    assert sorted(clicks_of(live_app, code)) == [("/", "desktop"), (product_path, "desktop")]
