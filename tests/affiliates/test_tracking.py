"""Affiliate links: ``/r/<code>`` stays on the mall, ``?ref=`` on any page records the click,
one INSERT per click, and the signed referral cookie names the affiliate (never for bots)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeSerializer

from affiliates.models import Affiliate, AffiliateClick, AffiliateStatus, AgentClass
from affiliates.tracking import clicks
from mall.catalog.models import Product
from mall.checkout import referral
from mall.extensions import db
from tenants.context import tenant_context
from tenants.keys import PLATFORM, key_service
from tenants.models import TenantDomain
from tests.support.shopping import stock_shop

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Firefox/130.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
AS_BROWSER = {"User-Agent": BROWSER}


@pytest.fixture(autouse=True)
def fresh_settings(app: Flask):
    clicks.forget_settings(app)
    yield
    clicks.forget_settings(app)


def make_affiliate(code: str, status: AffiliateStatus = AffiliateStatus.APPROVED) -> Affiliate:
    affiliate = Affiliate(code=code, status=status)
    db.session.add(affiliate)
    db.session.commit()
    return affiliate


@pytest.fixture
def sunny(app_ctx) -> Affiliate:
    return make_affiliate("SUNNY-7")


def clicks_of(affiliate: Affiliate) -> list[AffiliateClick]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AffiliateClick)
            .where(AffiliateClick.affiliate_id == affiliate.id)
            .order_by(AffiliateClick.clicked_at)
        )
    )


def all_clicks() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AffiliateClick))


def referral_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(referral.COOKIE + "="):
            return header
    return None


def cookie_entries(client) -> list[dict]:
    cookie = client.get_cookie(referral.COOKIE)
    return referral.load(cookie.value if cookie else None)


def product_path(shop) -> str:
    stocked = stock_shop(shop)
    with tenant_context(shop):
        slug = db.session.get(Product, (shop.id, stocked.product_id)).slug
    return f"/shop/{shop.slug}/products/{slug}"


# ---------------------------------------------------------------- /r/<code>: where it leads


@pytest.mark.parametrize(
    "to",
    [
        "https://evil.example",
        "https://evil.example/shop/shop-a/",
        "//evil.example",
        "//evil.example/shop/shop-a/",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "https://mall.test.evil.example/",
        "https://evil.example?.mall.test",
        "https://mall.test@evil.example/",
        "https://evilmall.test/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://mall.test/",
        "http:/evil.example",
        "https:evil.example",
        " //evil.example",
        "/ /evil.example",
        "https://a.b.mall.test/",
        "https://mall.test:99999/",
        "https://[evil.example/",
        "http://[::1]/",
    ],
)
def test_a_short_link_never_leads_off_the_mall(client, sunny, to):
    response = client.get("/r/SUNNY-7", query_string={"to": to}, headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "to",
    [
        "/shop/shop-a/",
        "/shop/shop-a/products/thing?colour=red",
        "http://mall.test/categories/tea",
        "http://www.mall.test/",
        "http://shop-a.mall.test/products/thing",
        "http://shop-a.mall.test:80/",
        "http://shop-a.mall.test/products/thing#reviews",
    ],
)
def test_a_short_link_leads_to_a_page_of_the_mall(client, sunny, shop_a, to):
    response = client.get("/r/SUNNY-7", query_string={"to": to}, headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == to


def test_a_shops_own_domain_is_the_mall_but_an_unmapped_one_is_not(client, sunny, shop_a):
    db.session.add(TenantDomain(tenant_id=shop_a.id, host="tea.example"))
    db.session.commit()
    mapped = client.get("/r/SUNNY-7?to=http://tea.example/products/x", headers=AS_BROWSER)
    assert mapped.headers["Location"] == "http://tea.example/products/x"
    other = client.get("/r/SUNNY-7?to=http://coffee.example/", headers=AS_BROWSER)
    assert other.headers["Location"] == "/"
    (click,) = [c for c in clicks_of(sunny) if c.landing_path == "/shop/shop-a/products/x"]
    assert click.shop_id == shop_a.id


def test_without_a_target_the_short_link_leads_home(client, sunny):
    response = client.get("/r/sunny-7", headers=AS_BROWSER)  # codes read in any case
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert len(clicks_of(sunny)) == 1


# ---------------------------------------------------------------- the click


def test_the_click_keeps_the_page_the_shop_and_no_ip_address(client, sunny, shop_a):
    client.get(
        "/r/SUNNY-7?to=/shop/shop-a/products/thing%3Fcolour%3Dred",
        headers={**AS_BROWSER, "Referer": "https://Blog.Example.org/post?id=3"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    (click,) = clicks_of(sunny)
    assert click.landing_path == "/shop/shop-a/products/thing"
    assert click.shop_id == shop_a.id
    assert click.referrer_host == "blog.example.org"
    assert click.agent is AgentClass.DESKTOP
    expected = key_service().blind_index(
        "203.0.113.9", scope=PLATFORM, field="affiliate_clicks.ip_index"
    )
    assert click.ip_index == expected
    stored = db.session.execute(sa.select(AffiliateClick.__table__)).one()
    assert "203.0.113.9" not in repr(stored)


def test_a_shop_subdomain_target_is_kept_as_the_shops_page(client, sunny, shop_a):
    client.get("/r/SUNNY-7?to=http://shop-a.mall.test/products/thing", headers=AS_BROWSER)
    (click,) = clicks_of(sunny)
    assert click.landing_path == "/shop/shop-a/products/thing"
    assert click.shop_id == shop_a.id


def test_a_long_landing_path_is_cut(client, sunny):
    client.get("/r/SUNNY-7?to=/" + "a" * 500, headers=AS_BROWSER)
    (click,) = clicks_of(sunny)
    assert click.landing_path == "/" + "a" * 299


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (BROWSER, AgentClass.DESKTOP),
        (PHONE, AgentClass.MOBILE),
        (CRAWLER, AgentClass.BOT),
        ("curl/8.5.0", AgentClass.BOT),
        ("", AgentClass.BOT),
        ("SomethingElse/1.0", AgentClass.OTHER),
        (BROWSER + " x" * 600, AgentClass.BOT),  # no browser sends one this long
    ],
)
def test_the_agent_class(agent, expected):
    assert clicks.agent_class(agent) is expected


@pytest.mark.parametrize(
    "status", [AffiliateStatus.APPLIED, AffiliateStatus.REJECTED, AffiliateStatus.SUSPENDED]
)
def test_a_code_that_earns_nothing_records_nothing_but_still_leads_on(client, app_ctx, status):
    make_affiliate("WAITING", status)
    response = client.get("/r/WAITING?to=/shop/shop-a/", headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/shop/shop-a/"
    assert referral_cookie(response) is None
    assert all_clicks() == 0


@pytest.mark.parametrize("code", ["NOBODY", "not a code!", "x" * 40])
def test_an_unknown_code_records_nothing_and_still_leads_on(client, app_ctx, code):
    response = client.get(f"/r/{code}?to=/search", headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/search"
    assert referral_cookie(response) is None
    assert all_clicks() == 0


def test_a_bot_is_recorded_as_one_and_gets_no_cookie(client, sunny):
    response = client.get("/r/SUNNY-7", headers={"User-Agent": CRAWLER})
    assert referral_cookie(response) is None
    (click,) = clicks_of(sunny)
    assert click.agent is AgentClass.BOT


def test_a_short_link_costs_one_insert(client, sunny, count_queries):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)  # the cookie's lifetime is read once a minute
    with count_queries() as queries:
        response = client.get("/r/SUNNY-7?to=/shop/shop-a/", headers=AS_BROWSER)
    assert response.status_code == 302
    assert len(queries.statements) == 1, queries.statements
    assert queries.statements[0].lstrip().upper().startswith("INSERT INTO AFFILIATE_CLICKS")


# ---------------------------------------------------------------- ?ref= on any page


def test_ref_on_a_shop_page_records_the_click_and_sets_the_cookie(client, sunny, shop_a):
    path = product_path(shop_a)
    response = client.get(path + "?ref=sunny-7", headers=AS_BROWSER)
    assert response.status_code == 200
    assert referral_cookie(response) is not None
    assert "no-store" in response.headers["Cache-Control"]
    (click,) = clicks_of(sunny)
    assert click.landing_path == path
    assert click.shop_id == shop_a.id
    assert [entry["a"] for entry in cookie_entries(client)] == [sunny.id.hex]


def test_ref_on_a_mall_page_records_a_click_without_a_shop(client, sunny):
    client.get("/?ref=SUNNY-7", headers=AS_BROWSER)
    (click,) = clicks_of(sunny)
    assert (click.landing_path, click.shop_id) == ("/", None)


def test_ref_on_a_cached_page_still_records(client, sunny, shop_a):
    path = product_path(shop_a)
    client.get(path, headers=AS_BROWSER)  # now in the page cache
    client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)
    client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)
    assert len(clicks_of(sunny)) == 2


def test_ref_on_a_page_costs_one_insert_more(client, sunny, shop_a, count_queries):
    path = product_path(shop_a)
    client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)  # warm: caches and settings
    with count_queries(cold=False) as plain:
        client.get(path + "?ref=", headers=AS_BROWSER)
    with count_queries(cold=False) as referred:
        response = client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)
    assert response.status_code == 200
    extra = [s for s in referred.statements if s not in plain.statements]
    assert referred.count == plain.count + 1, referred.statements
    assert len(extra) == 1 and extra[0].lstrip().upper().startswith("INSERT INTO AFFILIATE_CLICKS")


def test_ref_on_a_page_that_is_not_found_records_nothing(client, sunny):
    response = client.get("/shop/nowhere/?ref=SUNNY-7", headers=AS_BROWSER)
    assert response.status_code == 404
    assert referral_cookie(response) is None
    assert all_clicks() == 0


def test_ref_with_an_unknown_code_serves_the_page_and_no_cookie(client, app_ctx):
    response = client.get("/?ref=NOBODY", headers=AS_BROWSER)
    assert response.status_code == 200
    assert referral_cookie(response) is None
    assert all_clicks() == 0


def test_ref_from_a_bot_gets_no_cookie(client, sunny):
    response = client.get("/?ref=SUNNY-7", headers={"User-Agent": CRAWLER})
    assert response.status_code == 200
    assert referral_cookie(response) is None
    assert clicks_of(sunny)[0].agent is AgentClass.BOT


# ---------------------------------------------------------------- the cookie


def test_the_cookie_is_httponly_lax_and_lives_the_programs_cookie_days(client, sunny):
    header = referral_cookie(client.get("/r/SUNNY-7", headers=AS_BROWSER))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Max-Age=2592000" in header  # 30 days
    assert "Secure" not in header  # the test app is on http


def test_the_cookie_lifetime_follows_the_program(app, client, sunny):
    from affiliates.programs.settings import save_program_settings

    save_program_settings({"cookie_days": 7}, actor_id=None)
    db.session.commit()
    clicks.forget_settings(app)
    header = referral_cookie(client.get("/r/SUNNY-7", headers=AS_BROWSER))
    assert f"Max-Age={7 * 86400}" in header


def test_the_cookie_is_secure_on_https(client, sunny):
    response = client.get("/r/SUNNY-7", headers=AS_BROWSER, base_url="https://mall.test")
    assert "Secure" in referral_cookie(response)


def test_one_entry_per_affiliate_newest_last_first_click_kept(client, sunny, monkeypatch):
    other = make_affiliate("MOON-3")
    times = iter([1_000_000, 1_000_100, 1_000_200])
    monkeypatch.setattr(clicks.time, "time", lambda: next(times))
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    client.get("/r/MOON-3", headers=AS_BROWSER)
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    assert cookie_entries(client) == [
        {"a": other.id.hex, "first": 1_000_100, "at": 1_000_100},
        {"a": sunny.id.hex, "first": 1_000_000, "at": 1_000_200},
    ]


def test_the_cookie_is_bounded_and_signed(client, app_ctx):
    codes = [f"AFF-{n:02d}" for n in range(14)]
    made = [make_affiliate(code) for code in codes]
    for code in codes:
        response = client.get(f"/r/{code}", headers=AS_BROWSER)
    value = client.get_cookie(referral.COOKIE).value
    assert len(value) <= referral.MAX_COOKIE
    assert [e["a"] for e in cookie_entries(client)] == [a.id.hex for a in made[-10:]]
    assert referral_cookie(response) is not None
    # Someone who edits the cookie loses it.
    client.set_cookie(referral.COOKIE, value[:-3] + "AAA", domain="localhost")
    assert cookie_entries(client) == []
    forged = URLSafeSerializer("not the mall's secret", salt="mall.referral.ids")
    assert referral.load(forged.dumps([{"a": made[0].id.hex, "first": 1, "at": 1}])) == []


def test_a_click_the_database_refuses_still_serves_the_page(client, sunny, monkeypatch):
    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is away"))

    monkeypatch.setattr(clicks, "record_click", refuse)
    page = client.get("/?ref=SUNNY-7", headers=AS_BROWSER)
    assert page.status_code == 200
    assert referral_cookie(page) is None
    short = client.get("/r/SUNNY-7?to=/search", headers=AS_BROWSER)
    assert (short.status_code, short.headers["Location"]) == (302, "/search")


def test_on_a_shops_own_host_the_click_keeps_the_shops_page(client, sunny, shop_a):
    path = product_path(shop_a)
    own = path.removeprefix("/shop/shop-a")
    page = client.get(own + "?ref=SUNNY-7", headers=AS_BROWSER, base_url="http://shop-a.mall.test")
    assert page.status_code == 200
    short = client.get(
        f"/r/SUNNY-7?to={own}", headers=AS_BROWSER, base_url="http://shop-a.mall.test"
    )
    assert short.headers["Location"] == own
    assert [(c.landing_path, c.shop_id) for c in clicks_of(sunny)] == [(path, shop_a.id)] * 2
