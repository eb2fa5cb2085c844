"""The app shell: health check, security headers, error pages, cookies."""

from __future__ import annotations

import pytest

from mall.security import CONTENT_SECURITY_POLICY


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["redis"].startswith("not configured")


def test_healthz_reports_redis_when_configured(app, client, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("mall.redis", None)
    try:
        assert client.get("/healthz").json["redis"] == "ok"
    finally:
        app.extensions.pop("mall.redis", None)


def test_healthz_fails_with_503_when_redis_is_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    app.extensions.pop("mall.redis", None)
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json["status"] == "error"
        assert response.json["redis"].startswith("error")
    finally:
        app.extensions.pop("mall.redis", None)


@pytest.mark.parametrize("url", ["/", "/privacy", "/nope", "/static/css/mall.css"])
def test_security_headers_on_every_response(client, url):
    with client.get(url) as response:
        headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_layout_has_search_cart_account_and_privacy_link(client):
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page
    assert 'href="/cart/"' in page
    assert 'id="account-menu"' in page
    assert 'href="/privacy"' in page


def assert_error_page(response, code: int, text: str) -> None:
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert text in body
    assert 'id="main"' in body, "error pages render in the site layout"


def test_404_page(client):
    assert_error_page(client.get("/no/such/page"), 404, "Page not found")


def test_405_page(client):
    assert_error_page(client.post("/privacy"), 405, "Method not allowed")


def test_400_page_for_a_form_without_csrf_token(client, member_of_a):
    assert_error_page(client.post("/shop/shop-a/admin/probe/"), 400, "reload the page")


def test_403_page(client, shop_a, member_of_a):
    from mall.extensions import db
    from tenants.models import TenantStatus
    from tenants.services import set_status

    set_status(shop_a, TenantStatus.SUSPENDED)
    db.session.commit()
    client.application.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post("/shop/shop-a/admin/probe/")
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = True
    assert_error_page(response, 403, "read-only")


def test_429_page_when_search_is_hammered(client):
    from mall.extensions import limiter

    limiter.reset()
    codes = [client.get("/search?q=x").status_code for _ in range(61)]
    assert codes[:60] == [200] * 60
    assert_error_page(client.get("/search?q=x"), 429, "Too many requests")
    limiter.reset()


def test_500_page_hides_the_error(client, member_of_a, caplog):
    response = client.get("/shop/shop-a/admin/probe/boom")
    assert_error_page(response, 500, "Something went wrong")
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert "unhandled error" in caplog.text


def test_json_clients_get_json_errors(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "Page not found"


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_bad_page_numbers_are_page_one(client, make_shop):
    make_shop("only-shop", name="Only Shop")
    for raw in ("abc", "-3", "0", "99999999999"):
        response = client.get(f"/?page={raw}")
        assert response.status_code == 200, raw
