"""Error pages never fail in turn, and every error response carries the security headers.

A malformed Host header (``..``, a label over 63 characters) leaves Flask
without a URL adapter: the error page must still render (in the layout), and
whatever answers — the layout, the plain fallback page, or the WSGI safety
net — sends the security headers.
"""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder

from mall.security import CONTENT_SECURITY_POLICY

BAD_HOSTS = ("..", "a" * 64 + ".mall.test", "shop-a..mall.test", "x" * 300 + ".example")


def assert_security_headers(headers) -> None:
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


@pytest.fixture
def production_errors(app, monkeypatch):
    """Exceptions are handled as in production (testing would propagate them)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return app


def call_wsgi(app, environ: dict) -> tuple[int, dict, str]:
    """Run the app on a raw WSGI environ; (status code, headers, body)."""
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response)).decode()
    return int(started["status"].split()[0]), started["headers"], body


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_malformed_host_gets_the_400_page_in_the_layout(client, host, method):
    response = client.open("/", method=method, headers={"Host": host})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bad request" in page
    assert 'id="main"' in page and 'href="/privacy"' in page  # the layout, with its links
    assert_security_headers(response.headers)


def test_a_malformed_host_gets_json_for_json_clients(client):
    response = client.get("/", headers={"Host": "..", "Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"] == "Bad request"
    assert_security_headers(response.headers)


@pytest.mark.parametrize("host", [*BAD_HOSTS, "shop\x00.example", "shop-a.mall.test\x00"])
def test_a_raw_environ_with_a_malformed_host_gets_a_400_with_headers(
    production_errors, client, shop_a, host
):
    environ = EnvironBuilder(path="/account/login", method="GET").get_environ()
    environ["HTTP_HOST"] = host
    status, headers, body = call_wsgi(production_errors, environ)
    assert status == 400
    assert "Bad request" in body
    assert_security_headers(headers)


def test_when_the_layout_cannot_render_a_plain_page_answers(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the layout is broken")

    monkeypatch.setattr("mall.errors.render_template", broken)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page
    assert "broken" not in page
    assert response.headers["Content-Type"].startswith("text/html")
    assert_security_headers(response.headers)


def test_an_error_escaping_the_app_gets_a_plain_500_with_headers(
    production_errors, client, monkeypatch
):
    def broken(environ):
        raise RuntimeError("a failure before Flask handles the request")

    monkeypatch.setattr(production_errors, "request_context", broken)
    status, headers, body = call_wsgi(
        production_errors, EnvironBuilder(path="/", method="GET").get_environ()
    )
    assert status == 500
    assert "Something went wrong" in body and "RuntimeError" not in body
    assert_security_headers(headers)


def test_in_testing_an_escaping_error_still_propagates(app, client, monkeypatch):
    def broken(environ):
        raise RuntimeError("surfaced to the test")

    monkeypatch.setattr(app, "request_context", broken)
    with pytest.raises(RuntimeError, match="surfaced to the test"):
        client.get("/")
