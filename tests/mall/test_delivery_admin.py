"""The shop's delivery back office: defaults, a product's policy, key imports, the order page's
downloads panel (keys shown to staff), re-grant and extend once per form, and isolation."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.delivery import services
from mall.delivery.models import DeliveryPolicy, DownloadCounter, DownloadGrant, GrantStatus
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.mall.test_delivery_keys import csv_of, import_into
from tests.support.delivery import (
    digital_product,
    file_links,
    order_page_link,
    paid_order,
    the_grant,
)

ADMIN = "/shop/shop-a/admin"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def regrant(client, line_id, key="a" * 32, days=""):
    return client.post(
        f"{ADMIN}/delivery/lines/{line_id}/regrant",
        data={f"regrant-{line_id.hex}-key": key, f"regrant-{line_id.hex}-days": days},
    )


def extend(client, line_id, key="b" * 32, days="10", downloads="3"):
    prefix = f"extend-{line_id.hex}"
    return client.post(
        f"{ADMIN}/delivery/lines/{line_id}/extend",
        data={f"{prefix}-key": key, f"{prefix}-days": days, f"{prefix}-downloads": downloads},
    )


def test_the_order_page_shows_each_line_with_its_files_and_keys(client, shop_a, member_of_a):
    font = digital_product(shop_a, title="Serif Font")
    import_into(shop_a, font.variant_id, csv_of("SECRET-KEY-1"))
    order_id = paid_order(shop_a, font.variant_id)
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Downloads and licence keys" in html
    assert "SECRET-KEY-1" in html and "font-0.zip: downloaded 0 of 5" in html
    assert "Give access again" in html and "Extend" in html


def test_regrant_restores_a_revoked_grant_once_per_form(app, client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    grant = the_grant(shop_a, order_id)
    line_id = grant.order_line_id
    with tenant_context(shop_a):
        db.session.execute(sa.update(DownloadCounter).values(used=5))
        services.revoke_grant(services.get_grant(grant.id), reason="Refunded.")
        db.session.commit()
    response = regrant(client, line_id, days="7")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "#downloads-heading"
    )
    again = the_grant(shop_a, order_id)
    assert again.status is GrantStatus.ACTIVE
    assert timedelta(days=6) < again.expires_at - utcnow() <= timedelta(days=7)
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.sum(DownloadCounter.used))) == 0
        db.session.execute(sa.update(DownloadCounter).values(used=2))
        db.session.commit()
    assert regrant(client, line_id, days="7").status_code == 303  # the same form
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.sum(DownloadCounter.used))) == 2
    page = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "this was already done, nothing changed" in page
    assert file_links(client.get(order_page_link(shop_a, order_id)).get_data(as_text=True))


def test_extend_adds_days_and_downloads_once(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    before = the_grant(shop_a, order_id)
    line_id, limit, until = before.order_line_id, before.download_limit, before.expires_at
    assert extend(client, line_id).status_code == 303
    assert extend(client, line_id).status_code == 303  # a double click
    after = the_grant(shop_a, order_id)
    assert after.download_limit == limit + 3
    assert after.expires_at - until == timedelta(days=10)


def test_bad_staff_input_is_a_message_not_an_error(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    line_id = the_grant(shop_a, order_id).order_line_id
    for response in (
        extend(client, line_id, days="ten"),
        extend(client, line_id, days="0", downloads="0"),
        extend(client, line_id, key="forged"),
        regrant(client, line_id, days="-1"),
    ):
        assert response.status_code == 303
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Add at least one day or one download." in html
    assert "The form expired" in html
    bad = client.post(
        f"{ADMIN}/delivery/settings",
        data={"expiry_days": "x", "download_limit": "1", "low_pool_threshold": "1"},
    )
    assert bad.status_code == 422 and "Enter a whole number" in bad.get_data(as_text=True)


def test_settings_and_policy_pages(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a, title="Serif Font")
    html = client.get(f"{ADMIN}/delivery/").get_data(as_text=True)
    assert "Serif Font" in html and "No keys (files only)" in html
    response = client.post(
        f"{ADMIN}/delivery/settings",
        data={"expiry_days": "0", "download_limit": "3", "low_pool_threshold": "1"},
    )
    assert response.status_code == 303
    response = client.post(
        f"{ADMIN}/delivery/products/{font.product_id}/policy",
        data={"expiry_days": "", "download_limit": "8"},
    )
    assert response.status_code == 303
    with tenant_context(shop_a):
        policy = db.session.scalar(sa.select(DeliveryPolicy))
        assert (policy.expiry_days, policy.download_limit) == (None, 8)
    grant = the_grant(shop_a, paid_order(shop_a, font.variant_id))
    assert grant.expires_at is None and grant.download_limit == 8


def test_keys_are_imported_from_the_pool_page(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    page = f"{ADMIN}/delivery/variants/{font.variant_id}"
    response = client.post(
        f"{page}/keys",
        data={"file": (io.BytesIO(csv_of("K-1", "K-2")), "keys.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert "2 available" in html and "K-1" in html
    response = client.post(
        f"{page}/keys",
        data={"file": (io.BytesIO(csv_of("K-2")), "keys.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "already in this pool" in response.get_data(as_text=True)
    assert client.post(f"{page}/keys", data={}).status_code == 422
    assert client.post(f"{page}/threshold", data={"threshold": "1"}).status_code == 303


def test_another_shops_grants_and_pools_answer_404(client, shop_a, shop_b, member_of_a, no_csrf):
    font = digital_product(shop_b)
    import_into(shop_b, font.variant_id, csv_of("B-KEY"))
    order_id = paid_order(shop_b, font.variant_id)
    line_id = the_grant(shop_b, order_id).order_line_id
    assert regrant(client, line_id).status_code == 404
    assert extend(client, line_id).status_code == 404
    assert client.get(f"{ADMIN}/delivery/variants/{font.variant_id}").status_code == 404
    assert (
        client.post(f"{ADMIN}/delivery/products/{font.product_id}/policy", data={}).status_code
        == 404
    )
    assert "B-KEY" not in client.get(f"{ADMIN}/delivery/").get_data(as_text=True)
    with tenant_context(shop_b):
        grant = db.session.scalar(sa.select(DownloadGrant))
        assert grant.status is GrantStatus.ACTIVE and grant.action_key == ""


def test_a_sales_rep_sees_but_cannot_regrant(client, shop_a, make_user, sign_in, no_csrf):
    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Downloads and licence keys" in html and "Give access again" not in html
    assert regrant(client, the_grant(shop_a, order_id).order_line_id).status_code == 403
    assert client.get(f"{ADMIN}/delivery/").status_code == 403
