"""With Redis, a click is queued: the short link answers before the app with no database
write, ``?ref=`` pages add none, and the job stores each queued click exactly once (also
when it runs twice, at once or after a crash), only for affiliates still approved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis

from affiliates.models import AffiliateClick, AffiliateStatus, AgentClass
from affiliates.tracking import buffer as click_queue
from affiliates.tracking import clicks, jobs
from affiliates.tracking.queued import store_queued
from mall.extensions import db
from tests.affiliates.test_tracking import (
    AS_BROWSER,
    CRAWLER,
    clicks_of,
    cookie_entries,
    make_affiliate,
    product_path,
    referral_cookie,
)


@pytest.fixture(autouse=True)
def fresh_settings(app: Flask):
    clicks.forget_settings(app)
    yield
    clicks.forget_settings(app)


@pytest.fixture
def queue(app: Flask, redis_url: str):
    """The app's click queue on the test Redis, for one test."""
    made = click_queue.ClickBuffer(Redis.from_url(redis_url))
    app.extensions[click_queue.EXTENSION] = made
    yield made
    app.extensions.pop(click_queue.EXTENSION, None)


@pytest.fixture
def sunny(app_ctx):
    return make_affiliate("SUNNY-7")


def flush() -> int:
    kept = jobs.flush_clicks()
    db.session.expire_all()
    return kept


def test_the_short_link_queues_the_click_without_touching_the_database(
    app, client, sunny, queue, count_queries, monkeypatch
):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)  # the code and cookie lifetime now known

    def not_reached(**_):
        raise AssertionError("the app's view answered a plain short link")

    monkeypatch.setitem(app.view_functions, "affiliates_tracking.follow", not_reached)
    with count_queries(cold=False) as queries:
        response = client.get("/r/SUNNY-7?to=/shop/shop-a/products/x", headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/shop/shop-a/products/x"
    assert queries.count == 0 and queries.scope_sets == 0, queries.statements
    assert referral_cookie(response) is not None
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the app's headers too
    assert b'<a href="/shop/shop-a/products/x">' in response.data  # the page werkzeug sends
    assert response.headers["Content-Length"] == str(len(response.data))
    assert [entry["a"] for entry in cookie_entries(client)] == [sunny.id.hex]
    assert queue.size() == 2 and clicks_of(sunny) == []


def test_the_job_stores_each_queued_click_once(client, sunny, shop_a, queue):
    path = product_path(shop_a)
    client.get(f"/r/SUNNY-7?to={path}", headers=AS_BROWSER)
    client.get("/r/SUNNY-7", headers={"User-Agent": CRAWLER})

    assert flush() == 2
    page, home = sorted(clicks_of(sunny), key=lambda click: click.landing_path, reverse=True)
    assert (page.landing_path, page.shop_id, page.agent) == (path, shop_a.id, AgentClass.DESKTOP)
    assert page.ip_index is not None and page.referrer_host == ""
    assert (home.landing_path, home.shop_id, home.agent) == ("/", None, AgentClass.BOT)
    assert queue.size() == 0
    assert flush() == 0 and len(clicks_of(sunny)) == 2


def test_entries_stored_twice_make_one_row_each(client, sunny, queue):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    entries = queue.head(10)
    # A drainer that committed and then stopped before removing them: the next one reads
    # the same entries again.
    assert store_queued(entries) == 1
    assert store_queued(entries) == 1
    db.session.commit()
    assert len(clicks_of(sunny)) == 1


def test_a_drainer_waits_for_the_one_at_work(client, sunny, queue):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    with queue.drained() as token:
        assert token is not None
        assert flush() == 0  # the lock is held: this run does nothing
        assert queue.size() == 1
    assert flush() == 1


def test_a_drainer_that_lost_its_lock_removes_nothing(client, sunny, queue):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    with queue.drained() as token:
        queue.redis.delete(click_queue.LOCK)  # it expired; another drainer may read these
        assert queue.drop(1, token=token) is False
    assert queue.size() == 1


def test_a_click_of_an_affiliate_suspended_since_is_not_kept(client, sunny, queue):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    sunny.status = AffiliateStatus.SUSPENDED
    db.session.commit()
    assert flush() == 0
    assert clicks_of(sunny) == [] and queue.size() == 0


def test_an_unknown_code_queues_nothing_and_still_leads_on(client, app_ctx, queue):
    response = client.get("/r/NOBODY-1?to=/search", headers=AS_BROWSER)
    assert response.status_code == 302 and response.headers["Location"] == "/search"
    assert referral_cookie(response) is None
    assert queue.size() == 0


@pytest.mark.parametrize(
    "to", ["https://evil.example/", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example"]
)
def test_the_fast_path_never_leads_off_the_mall_either(client, sunny, queue, to):
    response = client.get("/r/SUNNY-7", query_string={"to": to}, headers=AS_BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://mall.test/")


def test_what_the_fast_path_leaves_to_the_app_is_queued_by_the_app(client, sunny, queue):
    client.get("/r/SUNNY-7?to=http://mall.test/search", headers=AS_BROWSER)  # absolute
    client.get("/r/SUNNY-7?to=/search&utm_source=mail", headers=AS_BROWSER)  # more query
    assert queue.size() == 2
    assert flush() == 2
    assert {click.landing_path for click in clicks_of(sunny)} == {"/search"}


def test_ref_on_a_page_adds_no_database_write(client, sunny, shop_a, queue, count_queries):
    path = product_path(shop_a)
    client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)  # warm: caches and settings
    with count_queries(cold=False) as plain:
        client.get(path + "?ref=", headers=AS_BROWSER)
    with count_queries(cold=False) as referred:
        response = client.get(path + "?ref=SUNNY-7", headers=AS_BROWSER)
    assert response.status_code == 200 and referral_cookie(response) is not None
    assert referred.count == plain.count, referred.statements
    assert flush() == 2
    assert {click.shop_id for click in clicks_of(sunny)} == {shop_a.id}


def test_without_redis_answering_the_click_is_inserted_directly(app, client, sunny):
    app.extensions[click_queue.EXTENSION] = click_queue.ClickBuffer(
        Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    )
    try:
        response = client.get("/r/SUNNY-7?to=/search", headers=AS_BROWSER)
    finally:
        app.extensions.pop(click_queue.EXTENSION, None)
    assert response.status_code == 302 and referral_cookie(response) is not None
    (click,) = clicks_of(sunny)
    assert click.landing_path == "/search"


def test_the_rollup_counts_the_clicks_still_queued(client, sunny, queue):
    client.get("/r/SUNNY-7", headers=AS_BROWSER)
    jobs.roll_up_clicks()
    db.session.expire_all()
    assert queue.size() == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AffiliateClick)
            .where(AffiliateClick.affiliate_id == sunny.id)
        )
        == 1
    )


def test_a_process_copies_the_codes_redis_knows_once_a_minute(app, client, queue, app_ctx):
    ada, bea = make_affiliate("ADA-1"), make_affiliate("BEA-1")
    client.get("/r/ADA-1", headers=AS_BROWSER)  # some process looked both up
    client.get("/r/BEA-1", headers=AS_BROWSER)
    assert queue.affiliate_of("BEA-1") == bea.id.hex
    clicks.forget_settings(app)  # a new process: nothing of its own yet
    assert clicks.approved_affiliate("ADA-1") == ada.id
    copied = app.extensions[clicks.CODES_KEY]
    assert copied["BEA-1"][0] == bea.id  # came along with ADA-1's, no lookup of its own
    # A code Redis does not know yet is still found in the database (and shared).
    cy = make_affiliate("CY-1")
    assert clicks.approved_affiliate("CY-1") == cy.id
    assert queue.affiliate_of("CY-1") == cy.id.hex
