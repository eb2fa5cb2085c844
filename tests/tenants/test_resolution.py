"""Which shop a request is for: path, subdomain, custom domain; status pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.accounts.models import LoginEvent
from mall.extensions import db
from tenants.context import current_tenant_id
from tenants.models import TenantStatus
from tenants.services import add_domain, set_status
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def probe_app(app, member_of_a):
    """The app, with the test-only probe admin blueprint, and a member of shop A signed in."""
    assert "probe_admin" in app.blueprints
    return app


def title(response) -> str:
    text = response.get_data(as_text=True)
    return text.split("<title>", 1)[1].split("</title>", 1)[0] if "<title>" in text else text


def test_shop_by_path(client, shop_a):
    response = client.get("/shop/shop-a/")
    assert response.status_code == 200
    assert "Shop A" in title(response)


def test_shop_by_path_is_case_insensitive(client, shop_a):
    assert client.get("/shop/SHOP-A/").status_code == 200


def test_shop_by_subdomain(client, shop_a):
    response = client.get("/", headers={"Host": "shop-a.mall.test"})
    assert response.status_code == 200
    assert "Shop A" in title(response)


def test_shop_by_custom_domain(client, shop_a):
    add_domain(shop_a, "Shop-A.Example.")
    db.session.commit()
    response = client.get("/", headers={"Host": "shop-a.example"})
    assert response.status_code == 200
    assert "Shop A" in title(response)


def test_mall_pages_still_answer_on_a_shop_host(client, shop_a):
    response = client.get("/privacy", headers={"Host": "shop-a.mall.test"})
    assert response.status_code == 200
    assert "Privacy" in title(response)


def test_a_shop_host_serves_only_that_shop(client, shop_a, shop_b):
    response = client.get("/shop/shop-b/", headers={"Host": "shop-a.mall.test"})
    assert response.status_code == 404


def test_mall_host_and_unknown_hosts_serve_the_mall(client, shop_a):
    for host in ("mall.test", "www.mall.test", "127.0.0.1:5000", "unknown.example"):
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 200, host
        assert "Welcome" in title(response), host


@pytest.mark.parametrize(
    ("url", "host"),
    [("/shop/no-such-shop/", None), ("/", "no-such-shop.mall.test")],
)
def test_unknown_shop_is_404(client, url, host):
    response = client.get(url, headers={"Host": host} if host else {})
    assert response.status_code == 404
    assert "Page not found" in title(response)


def test_pending_shop_storefront_is_404(client, make_shop):
    make_shop("not-yet", status=TenantStatus.PENDING)
    assert client.get("/shop/not-yet/").status_code == 404


def test_closed_shop_storefront_is_404(client, make_shop):
    make_shop("gone-shop", status=TenantStatus.CLOSED)
    assert client.get("/shop/gone-shop/").status_code == 404
    assert client.get("/", headers={"Host": "gone-shop.mall.test"}).status_code == 404


def test_suspended_shop_shows_temporarily_closed(client, make_shop):
    make_shop("paused-shop", name="Paused Shop", status=TenantStatus.SUSPENDED)
    response = client.get("/shop/paused-shop/")
    assert response.status_code == 503
    assert "Paused Shop is temporarily closed" in response.get_data(as_text=True)


def test_request_runs_in_the_shops_tenant_context(probe_app, client, shop_a):
    response = client.get("/shop/shop-a/admin/probe/")
    assert response.json == {"shop": "shop-a", "tenant_id": str(shop_a.id)}
    assert current_tenant_id() is None  # and leaves it afterwards


@pytest.mark.parametrize("status", [TenantStatus.SUSPENDED, TenantStatus.CLOSED])
def test_admin_of_suspended_or_closed_shop_is_read_only(probe_app, client, shop_a, status):
    probe_app.config["WTF_CSRF_ENABLED"] = False
    try:
        set_status(shop_a, status)
        db.session.commit()
        assert client.get("/shop/shop-a/admin/probe/").status_code == 200
        response = client.post("/shop/shop-a/admin/probe/")
        assert response.status_code == 403
        assert "read-only" in response.get_data(as_text=True)
    finally:
        probe_app.config["WTF_CSRF_ENABLED"] = True


def test_admin_of_active_and_pending_shops_accepts_changes(probe_app, client, shop_a):
    probe_app.config["WTF_CSRF_ENABLED"] = False
    try:
        for status in (TenantStatus.ACTIVE, TenantStatus.PENDING):
            set_status(shop_a, status)
            db.session.commit()
            assert client.post("/shop/shop-a/admin/probe/").status_code == 200
    finally:
        probe_app.config["WTF_CSRF_ENABLED"] = True


def test_admin_refuses_non_members_and_sends_anonymous_to_sign_in(
    app, client, shop_a, make_user, sign_in
):
    response = client.get("/shop/shop-a/admin/probe/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    sign_in(make_user("stranger@example.com"))
    assert client.get("/shop/shop-a/admin/probe/").status_code == 404


# ---------------------------------------------------------------- mall pages leave shop hosts

SHOP_HOSTS = ("shop-a.mall.test", "shop-a.example")
MALL_ONLY = (
    "/account/",
    "/account/login",
    "/account/register",
    "/account/forgot",
    "/account/reset/some-token",
    "/account/verify/some-token",
    "/admin/shops",
    "/admin/categories/",
    "/admin/audit",
    "/shops/new",
    "/invitations/some-token",
)


@pytest.fixture
def shop_hosts(shop_a):
    """Shop A answers at its subdomain and at its custom domain ``shop-a.example``."""
    add_domain(shop_a, "shop-a.example")
    db.session.commit()
    return SHOP_HOSTS


def assert_leaves_for(response, location: str, status: int = 302) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.headers["Location"] == location
    assert "Set-Cookie" not in response.headers  # no session starts on the shop's host
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("host", SHOP_HOSTS)
@pytest.mark.parametrize("path", MALL_ONLY)
def test_mall_pages_on_a_shop_host_redirect_to_the_mall(client, shop_hosts, host, path):
    response = client.get(f"{path}?next=%2Fcart%2F", headers={"Host": host})
    assert_leaves_for(response, f"http://mall.test{path}?next=%2Fcart%2F")


@pytest.mark.parametrize("host", SHOP_HOSTS)
def test_credentials_posted_on_a_shop_host_are_never_read(client, shop_hosts, make_user, host):
    make_user("ada@example.com")
    response = client.post(
        "/account/login?next=%2F",
        data={"email": "ada@example.com", "password": DEFAULT_PASSWORD},
        headers={"Host": host},
    )
    # 303: the browser asks for the sign-in page on the mall, without re-posting the password
    assert_leaves_for(response, "http://mall.test/account/login?next=%2F", status=303)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginEvent)) == 0


def test_a_post_without_a_page_to_show_goes_to_the_malls_home(client, shop_hosts):
    response = client.post("/account/logout", headers={"Host": "shop-a.example"})
    assert_leaves_for(response, "http://mall.test/", status=303)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/admin/", "/shop/shop-a/admin/"),
        ("/admin", "/shop/shop-a/admin"),
        ("/admin/staff?page=2", "/shop/shop-a/admin/staff?page=2"),
        ("/admin/catalog/", "/shop/shop-a/admin/catalog/"),
        ("/shop/shop-a/admin/settings", "/shop/shop-a/admin/settings"),
        ("/shop/SHOP-A/admin/", "/shop/SHOP-A/admin/"),
    ],
)
def test_the_back_office_on_a_shop_host_moves_to_the_mall(client, shop_hosts, path, location):
    response = client.get(path, headers={"Host": "shop-a.example"})
    assert_leaves_for(response, f"http://mall.test{location}")


def test_in_development_the_mall_is_the_base_domain_on_the_same_port(
    app, client, shop_a, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_DOMAIN", "localhost")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "http://127.0.0.1:5000")
    response = client.get("/account/login", headers={"Host": "shop-a.localhost:5001"})
    assert_leaves_for(response, "http://localhost:5001/account/login")


def test_storefront_cart_and_mall_pages_stay_on_the_shop_host(client, shop_hosts):
    for path in ("/", "/cart/", "/privacy", "/search?q=tea"):
        response = client.get(path, headers={"Host": "shop-a.example"})
        assert response.status_code == 200, path


def test_a_host_lookup_that_fails_answers_503_on_no_shop(client, shop_a, monkeypatch):
    def broken(host, base_domain):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database unavailable"))

    monkeypatch.setattr("tenants.resolution.shop_for_host", broken)
    response = client.get("/account/login", headers={"Host": "shop-a.example"})
    assert response.status_code == 503
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
