"""A rate-limited page says how long to wait, from the limit that was broken (every limited
route), in the page, in JSON and in ``Retry-After``."""

from __future__ import annotations

import pytest

from mall.errors import wait_phrase
from mall.extensions import limiter
from tests.mall.test_accounts import login


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_hammering_search_says_to_wait_about_a_minute(client):
    for _ in range(60):  # 60 a minute
        assert client.get("/search?q=x").status_code == 200
    response = client.get("/search?q=x")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many requests" in page and 'id="main"' in page  # the layout's error page
    assert "Too many requests from your connection: try again in about a minute." in page
    assert "going a little fast" not in page
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_json_clients_are_told_how_long_too(client):
    for _ in range(60):
        client.get("/search?q=x")
    response = client.get("/search?q=x", headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response.json["message"].endswith("try again in about a minute.")
    assert int(response.headers["Retry-After"]) <= 60


def test_a_longer_window_says_so(client, make_user, monkeypatch):
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", False)
    make_user("ada@example.com")
    for _ in range(5):  # 5 failures per account in 15 minutes
        login(client, "ada@example.com", password="wrong password!")
    response = login(client, "ada@example.com")
    assert response.status_code == 429
    assert "try again in about 15 minutes." in response.get_data(as_text=True)
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (1, "a few seconds"),
        (30, "about a minute"),
        (59, "about a minute"),
        (100, "about 2 minutes"),
        (15 * 60, "about 15 minutes"),
        (3599, "about an hour"),
        (3600, "about an hour"),
        (5 * 3600, "about 5 hours"),
        (86400, "about 24 hours"),
        (3 * 86400, "about 3 days"),
    ],
)
def test_waits_are_said_as_a_person_would(seconds, said):
    assert wait_phrase(seconds) == said
