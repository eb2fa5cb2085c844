"""Digital delivery: a grant per paid digital line, signed downloads counted per grant and file,
limits and expiry, revocation by refund or chargeback, and the buyer's pages and email."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Product
from mall.db import utcnow
from mall.delivery import services
from mall.delivery.models import (
    DeliveryPolicy,
    DownloadCounter,
    DownloadEvent,
    DownloadGrant,
    GrantStatus,
)
from mall.extensions import db
from mall.orders.models import Order, OrderEvent
from mall.orders.tracking import tracking_link
from mall.signals import order_paid
from tenants.context import tenant_context
from tests.support.delivery import (
    digital_product,
    file_links,
    grants_of,
    order_page_link,
    paid_order,
    the_grant,
    unpaid_order,
)
from tests.support.mail import clear_outbox, link_in, sent, text_of
from tests.support.tokens import tampered


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def download(client, shop, order_id, n: int = 0):
    page = client.get(order_page_link(shop, order_id))
    assert page.status_code == 200
    links = file_links(page.get_data(as_text=True))
    return client.get(links[n]) if links else None


# ---------------------------------------------------------------- granting


def test_paying_grants_each_digital_line_with_the_shop_defaults(app, shop_a, outbox):
    font = digital_product(shop_a, files=2)
    order_id = paid_order(shop_a, font.variant_id)
    grant = the_grant(shop_a, order_id)
    assert grant.status is GrantStatus.ACTIVE
    assert grant.download_limit == 5
    assert timedelta(days=29) < grant.expires_at - utcnow() <= timedelta(days=30)
    with tenant_context(shop_a):
        counters = db.session.scalars(
            sa.select(DownloadCounter).where(DownloadCounter.grant_id == grant.id)
        ).all()
    assert sorted(c.file_id for c in counters) == sorted(font.file_ids)
    (message,) = [m for m in sent(app) if "Your downloads" in m["Subject"]]
    assert message["To"] == "dora@example.com"
    body = text_of(message)
    assert "font-0.zip" in body and "font-1.zip" in body
    assert link_in(message, "/downloads/order/")
    assert link_in(message, "/downloads/file/")


def test_a_product_policy_beats_the_shop_defaults(shop_a):
    font = digital_product(shop_a)
    with tenant_context(shop_a):
        services.update_settings(
            services.delivery_settings(), expiry_days=0, download_limit=9, low_pool_threshold=2
        )
        product = db.session.get(Product, (shop_a.id, font.product_id))
        services.set_policy(product, expiry_days=3, download_limit=None)
        db.session.commit()
    grant = the_grant(shop_a, paid_order(shop_a, font.variant_id))
    assert grant.download_limit == 9  # the shop's default
    assert timedelta(days=2) < grant.expires_at - utcnow() <= timedelta(days=3)


def test_a_replayed_payment_creates_nothing_new(app, shop_a, outbox):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    before = len(sent(app))
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        order_paid.send(order)
        order_paid.send(order)
        db.session.commit()
        events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.kind == "granted")
        )
    assert len(grants_of(shop_a, order_id)) == 1
    assert events == 1
    assert len(sent(app)) == before


def test_physical_lines_get_no_grant(shop_a):
    from tests.crawl.orders import place_order

    with tenant_context(shop_a):
        order = place_order(shop_a)
        from mall.orders.services import mark_order_paid

        assert mark_order_paid(order)
        order_id = order.id
        db.session.commit()
    assert grants_of(shop_a, order_id) == []


def test_the_tracking_page_links_to_the_downloads_of_a_digital_order_only(client, shop_a):
    import re

    from tests.crawl.orders import place_order

    def tracking_html(order_id) -> str:
        with tenant_context(shop_a):
            url = tracking_link(db.session.get(Order, (shop_a.id, order_id)))
        return client.get(re.sub(r"^https?://[^/]+", "", url)).get_data(as_text=True)

    made = digital_product(shop_a)
    digital = paid_order(shop_a, made.variant_id)
    html = tracking_html(digital)
    assert "Your downloads and licence keys" in html
    downloads = order_page_link(shop_a, digital)
    assert downloads.split("/downloads/order/")[1] in html  # the order's downloads page
    with tenant_context(shop_a):
        physical = place_order(shop_a)
        physical_id = physical.id
        db.session.commit()
    assert "Your downloads" not in tracking_html(physical_id)


# ---------------------------------------------------------------- downloading


def test_the_signed_link_streams_the_file_and_counts_and_logs_it(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    response = download(client, shop_a, order_id)
    assert response.status_code == 200
    assert response.data == font.files[0][1]
    assert response.headers["Content-Disposition"] == 'attachment; filename="font-0.zip"'
    assert "no-store" in response.headers["Cache-Control"]
    grant = the_grant(shop_a, order_id)
    with tenant_context(shop_a):
        (event,) = db.session.scalars(
            sa.select(DownloadEvent).where(DownloadEvent.grant_id == grant.id)
        ).all()
        assert event.ip_address == "127.0.0.1"
        assert b"127.0.0.1" not in event.ip_ct  # sealed under the shop's key
        used = db.session.scalar(
            sa.select(DownloadCounter.used).where(DownloadCounter.grant_id == grant.id)
        )
    assert used == 1


def test_the_limit_holds_per_grant_and_file_and_a_second_buyer_is_independent(client, shop_a):
    font = digital_product(shop_a, files=2)
    with tenant_context(shop_a):
        db.session.add(DeliveryPolicy(product_id=font.product_id, download_limit=2))
        db.session.commit()
    first = paid_order(shop_a, font.variant_id)
    second = paid_order(shop_a, font.variant_id, email="eve@example.com")
    assert download(client, shop_a, first, 0).status_code == 200
    assert download(client, shop_a, first, 0).status_code == 200
    page = client.get(order_page_link(shop_a, first)).get_data(as_text=True)
    assert "Limit reached" in page
    assert len(file_links(page)) == 1  # only the other file still has a link
    # An old link of the spent file: refused with its own page.
    grant = the_grant(shop_a, first)
    from mall.delivery.tokens import file_token

    with app_context_of(client):
        token = file_token(grant, font.file_ids[0])
    refused = client.get(f"/downloads/file/{token}")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "Download limit reached" in text and "contact the shop" in text
    # The other file of the same grant, and the same file for another buyer, still work.
    assert download(client, shop_a, first, 0).status_code == 200  # font-1 is now the first link
    assert download(client, shop_a, second, 0).status_code == 200
    assert the_grant(shop_a, second).download_limit == 2


def app_context_of(client):
    return client.application.app_context()


def test_an_expired_grant_is_refused_with_its_own_page(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    page = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    (link,) = file_links(page)
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(DownloadGrant)
            .where(DownloadGrant.order_id == order_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    text = response.get_data(as_text=True)
    assert "Your download access has expired" in text and "Download limit" not in text
    assert "Expired" in client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)


def test_a_revoked_grant_is_refused(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    (link,) = file_links(client.get(order_page_link(shop_a, order_id)).get_data(as_text=True))
    grant = the_grant(shop_a, order_id)
    with tenant_context(shop_a):
        assert services.revoke_grant(services.get_grant(grant.id), reason="Test.")
        assert not services.revoke_grant(services.get_grant(grant.id), reason="Test.")
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 403
    assert "Download access withdrawn" in response.get_data(as_text=True)


def test_a_tampered_or_foreign_link_is_refused(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    (link,) = file_links(client.get(order_page_link(shop_a, order_id)).get_data(as_text=True))
    token = link.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, token + "x", "not-a-token", token[: len(token) // 2]):
        response = client.get(f"/downloads/file/{bad}")
        assert response.status_code == 404, bad
        assert "This link is not valid" in response.get_data(as_text=True), bad
    page = order_page_link(shop_a, order_id)
    assert client.get(tampered(page)).status_code == 404
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.sum(DownloadCounter.used))) == 0


def test_an_old_link_is_refused_as_expired(client, shop_a, monkeypatch):
    from itsdangerous import TimestampSigner

    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 8 * 86400)
    (link,) = file_links(client.get(order_page_link(shop_a, order_id)).get_data(as_text=True))
    monkeypatch.undo()
    response = client.get(link)
    assert response.status_code == 410
    assert "This download link has expired" in response.get_data(as_text=True)
    # The downloads page makes fresh links.
    assert download(client, shop_a, order_id).status_code == 200


def test_the_file_is_never_under_a_public_path(app, client, shop_a):
    font = digital_product(shop_a)
    with tenant_context(shop_a):
        from mall.catalog.models import DigitalFile

        file = db.session.get(DigitalFile, (shop_a.id, font.file_ids[0]))
        key = file.storage_key
    from mall.storage import storage

    with app.app_context():
        root = Path(storage().root).resolve()
    static = Path(app.static_folder).resolve()
    assert not root.is_relative_to(static) and not static.is_relative_to(root)
    assert (root / key).is_file()
    assert not any(static.rglob(Path(key).name))
    for path in (f"/static/{key}", f"/{key}", f"/files/{key}", f"/static/../files/{key}"):
        assert client.get(path).status_code == 404, path


def test_the_web_server_can_send_the_file(app, client, shop_a, monkeypatch):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    monkeypatch.setitem(app.config, "DOWNLOAD_ACCEL", "x-accel-redirect")
    response = download(client, shop_a, order_id)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"].startswith("/protected-files/digital/")
    monkeypatch.setitem(app.config, "DOWNLOAD_ACCEL", "x-sendfile")
    response = download(client, shop_a, order_id)
    assert Path(response.headers["X-Sendfile"]).is_file()


# ---------------------------------------------------------------- revocation


def refund_units(shop, order_id, units: int, *, amount_only: bool = False):
    from mall.orders.refunds import RefundRequest, refund_order

    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        (line,) = order.lines
        request = (
            RefundRequest(amount=100, manual=True)
            if amount_only
            else RefundRequest(quantities={line.id: units}, manual=True)
        )
        refund_order(order, request, actor_id=None, key=uuid4().hex)
        db.session.commit()


def test_refunding_the_line_revokes_the_grant_and_an_amount_only_refund_does_not(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    refund_units(shop_a, order_id, 0, amount_only=True)
    assert the_grant(shop_a, order_id).status is GrantStatus.ACTIVE
    refund_units(shop_a, order_id, 1)
    grant = the_grant(shop_a, order_id)
    assert grant.status is GrantStatus.REVOKED and "refunded" in grant.revoked_reason
    assert file_links(client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)) == []


def test_a_chargeback_revokes_every_grant_of_the_checkout(shop_a):
    from mall.delivery.subscribers import on_dispute
    from mall.signals import payment_dispute_closed, payment_dispute_updated

    # Delivery listens to both (the ledger too: its own tests send the full arguments).
    assert on_dispute in payment_dispute_updated.receivers_for(None)
    assert on_dispute in payment_dispute_closed.receivers_for(None)

    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    with tenant_context(shop_a):
        checkout_id = db.session.get(Order, (shop_a.id, order_id)).checkout_id
    on_dispute(None, checkout_id=checkout_id, amount=100, status="warning_needs_response")
    assert the_grant(shop_a, order_id).status is GrantStatus.ACTIVE  # an inquiry only
    on_dispute(None, checkout_id=checkout_id, amount=100, status="needs_response")
    db.session.commit()
    grant = the_grant(shop_a, order_id)
    assert grant.status is GrantStatus.REVOKED and "chargeback" in grant.revoked_reason


# ---------------------------------------------------------------- the customer's account


def test_the_account_page_lists_only_the_customers_own_downloads(
    client, shop_a, shop_b, make_user, sign_in
):
    dora, eve = make_user("dora@example.com"), make_user("eve@example.com")
    font_a = digital_product(shop_a, title="Serif Font")
    font_b = digital_product(shop_b, title="Script Font")
    paid_order(shop_a, font_a.variant_id, user_id=dora.id)
    paid_order(shop_b, font_b.variant_id, user_id=dora.id)
    paid_order(shop_b, font_b.variant_id, user_id=eve.id, email="eve@example.com")
    assert client.get("/account/downloads").status_code == 302  # sign in first
    sign_in(dora)
    html = client.get("/account/downloads").get_data(as_text=True)
    assert "Serif Font" in html and "Script Font" in html
    assert "Shop A" in html and "Shop B" in html
    assert len(file_links(html)) == 2
    assert client.get(file_links(html)[0]).status_code == 200
    sign_in(eve)
    html = client.get("/account/downloads").get_data(as_text=True)
    assert "Script Font" in html and "Serif Font" not in html


def test_the_account_page_costs_the_same_queries_for_one_grant_or_five(
    client, shop_a, make_user, sign_in, count_queries
):
    dora = make_user("dora@example.com")
    font = digital_product(shop_a)
    paid_order(shop_a, font.variant_id, user_id=dora.id)
    sign_in(dora)
    with count_queries() as one:
        assert client.get("/account/downloads").status_code == 200
    for _ in range(4):
        paid_order(shop_a, font.variant_id, user_id=dora.id)
    with count_queries() as five:
        assert client.get("/account/downloads").status_code == 200
    assert five.count == one.count


def test_an_unpaid_order_has_nothing_to_download(client, shop_a):
    font = digital_product(shop_a)
    order_id = unpaid_order(shop_a, font.variant_id)
    html = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "once it is paid" in html and file_links(html) == []
