"""Digital delivery defects found in testing: key files refused by size, row and error count;
HEAD never counts; a missing file counts nothing; extensions capped; every staff form acts
once; withdrawn keys in the data export and the email; no-store back office; wording."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.accounts.export_contents import personal_data
from mall.delivery import key_imports, services, staff
from mall.delivery.errors import DeliveryError
from mall.delivery.jobs import send_downloads_email
from mall.delivery.models import DownloadCounter, DownloadEvent, DownloadGrant, GrantStatus
from mall.extensions import db
from mall.orders.models import Order
from mall.storage import storage
from tenants.context import tenant_context
from tests.mall.test_delivery_admin import ADMIN, extend, regrant
from tests.mall.test_delivery_keys import csv_of, import_into
from tests.support.delivery import (
    digital_product,
    file_links,
    order_page_link,
    paid_order,
    the_grant,
)
from tests.support.mail import clear_outbox, sent


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def refused(data: bytes) -> str:
    with pytest.raises(DeliveryError) as caught:
        key_imports.parse_keys(data)
    return str(caught.value)


def used_and_logged(shop, order_id) -> tuple[int, int]:
    grant = the_grant(shop, order_id)
    with tenant_context(shop):
        used = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(DownloadCounter.used), 0)).where(
                DownloadCounter.grant_id == grant.id
            )
        )
        logged = db.session.scalar(
            sa.select(sa.func.count()).where(DownloadEvent.grant_id == grant.id)
        )
    return used, logged


def first_link(client, shop, order_id) -> str:
    (link,) = file_links(client.get(order_page_link(shop, order_id)).get_data(as_text=True))
    return link


def refund_units(shop, order_id, units: int) -> None:
    from mall.orders.refunds import RefundRequest, refund_order

    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        (line,) = order.lines
        request = RefundRequest(quantities={line.id: units}, manual=True)
        refund_order(order, request, actor_id=None, key=uuid4().hex)
        db.session.commit()


# ---------------------------------------------------------------- 1. key files


def test_a_key_file_over_the_byte_limit_is_refused_before_reading():
    message = refused(b"K" * (key_imports.MAX_FILE_BYTES + 1))
    assert "larger than 2 MB" in message and "10,000 keys per file" in message
    # The largest allowed file fits: 10,000 keys of 200 characters.
    assert 10_000 * (key_imports.MAX_KEY_LENGTH + 2) <= key_imports.MAX_FILE_BYTES


def test_reading_stops_at_the_tenth_wrong_row():
    message = refused(csv_of(*["X" * 300] * 500))
    assert message.count("row ") == 10 and "row 11:" in message and "row 12:" not in message
    assert "reading stopped" in message and "more)" not in message


def test_at_most_ten_thousand_rows_per_file():
    rows = [f"KEY-{n:05d}" for n in range(10_001)]
    assert "at most 10,000 keys per file" in refused(csv_of(*rows))
    assert len(key_imports.parse_keys(csv_of(*rows[:10_000]))) == 10_000


def test_the_pool_page_refuses_a_big_file_with_a_message(
    client, shop_a, member_of_a, no_csrf, monkeypatch
):
    monkeypatch.setattr(key_imports, "MAX_FILE_BYTES", 4 * 1024)  # a small upload for the test
    font = digital_product(shop_a)
    big = io.BytesIO(b"K" * (4 * 1024 + 10))
    response = client.post(
        f"{ADMIN}/delivery/variants/{font.variant_id}/keys",
        data={"file": (big, "keys.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file is larger than" in response.get_data(as_text=True)


# ---------------------------------------------------------------- 2. and 3. downloading


def test_a_head_request_neither_counts_nor_logs(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    link = first_link(client, shop_a, order_id)
    for _ in range(3):
        head = client.head(link)
        assert head.status_code == 200 and head.data == b""
        assert head.headers["Content-Disposition"] == 'attachment; filename="font-0.zip"'
        assert head.headers["Content-Length"] == str(len(font.files[0][1]))
    assert used_and_logged(shop_a, order_id) == (0, 0)
    got = client.get(link)
    assert got.status_code == 200 and got.data == font.files[0][1]
    assert used_and_logged(shop_a, order_id) == (1, 1)
    with tenant_context(shop_a):
        services.revoke_grant(services.get_grant(the_grant(shop_a, order_id).id), reason="x")
        db.session.commit()
    assert client.head(link).status_code == 403


@pytest.mark.parametrize("accel", ["", "x-accel-redirect", "x-sendfile"])
def test_a_missing_file_counts_nothing_and_says_so(app, client, shop_a, monkeypatch, caplog, accel):
    monkeypatch.setitem(app.config, "DOWNLOAD_ACCEL", accel)
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    with tenant_context(shop_a):
        shop_a.contact_email = "help@shop-a.example"
        db.session.commit()
    link = first_link(client, shop_a, order_id)
    with app.app_context():
        from mall.catalog.models import DigitalFile

        with tenant_context(shop_a):
            key = db.session.scalar(sa.select(DigitalFile.storage_key))
        storage().delete(key)
    with caplog.at_level(logging.ERROR, logger="mall.delivery.views"):
        response = client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The file is not available right now" in html
    assert "Contact Shop A at" in html and "help@shop-a.example" in html
    assert "not valid" not in html
    assert used_and_logged(shop_a, order_id) == (0, 0)
    assert any("missing from storage" in r.getMessage() for r in caplog.records)
    assert client.head(link).status_code == 503


# ---------------------------------------------------------------- 4. and 5. staff actions


def test_an_extension_is_capped_with_a_message(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    grant = the_grant(shop_a, order_id)
    line_id, until = grant.order_line_id, grant.expires_at
    assert extend(client, line_id, days="36500", key="1" * 32).status_code == 303
    assert the_grant(shop_a, order_id).expires_at == until
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "Days to add: Add from 0 to 3,650 days at a time." in html
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(DownloadGrant).values(expires_at=datetime(9990, 1, 1, tzinfo=UTC))
        )
        db.session.commit()
    response = extend(client, line_id, days="3650", key="2" * 32)
    assert response.status_code == 303
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "after the year 9000" in html
    assert the_grant(shop_a, order_id).expires_at.year == 9990


def test_each_staff_form_acts_once_even_after_other_forms(client, shop_a, member_of_a, no_csrf):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    line_id = the_grant(shop_a, order_id).order_line_id
    first = "e" * 32
    assert extend(client, line_id, key=first, days="10", downloads="1").status_code == 303
    extended = the_grant(shop_a, order_id).expires_at
    assert regrant(client, line_id, key="f" * 32, days="7").status_code == 303
    regranted = the_grant(shop_a, order_id)
    until, limit = regranted.expires_at, regranted.download_limit
    assert until < extended
    assert extend(client, line_id, key=first, days="10", downloads="1").status_code == 303
    again = the_grant(shop_a, order_id)
    assert (again.expires_at, again.download_limit) == (until, limit)
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "this was already done, nothing changed" in html


def test_the_last_twenty_form_keys_are_remembered(shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    keys = [f"{n:032x}" for n in range(25)]
    with tenant_context(shop_a):
        grant = services.get_grant(the_grant(shop_a, order_id).id)
        for key in keys:
            assert staff.extend_grant(grant, days=1, downloads=0, actor_id=None, key=key)
        db.session.commit()
        assert len(grant.action_key) <= 659
        for key in keys[-20:]:
            assert not staff.extend_grant(grant, days=1, downloads=0, actor_id=None, key=key)
        with pytest.raises(DeliveryError, match="form expired"):
            staff.extend_grant(grant, days=1, downloads=0, actor_id=None, key="%")
        db.session.rollback()


# ---------------------------------------------------------------- 6. and 7. withdrawn keys


def test_the_data_export_marks_withdrawn_keys_and_leaves_out_their_value(shop_a, make_user):
    user = make_user()
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("KEEP-KEY-1", "GONE-KEY-2"))
    order_id = paid_order(shop_a, font.variant_id, quantity=2, user_id=user.id)
    refund_units(shop_a, order_id, 1)
    data = personal_data(user)
    grants = [g for s in data["shops"] for o in s["orders"] for g in o["downloads"]]
    (listed,) = [g["licence_keys"] for g in grants]
    assert sorted(listed, key=lambda k: k["status"]) == [
        {"status": "issued", "key": "KEEP-KEY-1"},
        {"status": "withdrawn", "key": None},
    ]
    assert "GONE-KEY-2" not in repr(data)


def test_the_email_hides_withdrawn_keys_and_names_the_contact(app, shop_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("SOON-GONE-1"))
    order_id = paid_order(shop_a, font.variant_id)
    grant_id = the_grant(shop_a, order_id).id
    with tenant_context(shop_a):
        shop_a.contact_email = "help@shop-a.example"
        services.revoke_grant(services.get_grant(grant_id), reason="x")
        db.session.commit()
    clear_outbox(app)
    send_downloads_email(str(shop_a.id), str(order_id))
    (message,) = sent(app)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    for part in (html, text):
        assert "Licence key" not in part and "SOON-GONE-1" not in part
        assert "downloads left" not in part and "download left" not in part
        assert "Contact Shop A at" in part and "help@shop-a.example" in part, part
    assert "Reply to" not in html


# ---------------------------------------------------------------- 8. and 9. pages


def test_back_office_pages_with_keys_are_never_cached(client, shop_a, member_of_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("STAFF-ONLY-1"))
    for path in (
        f"{ADMIN}/delivery/",
        f"{ADMIN}/delivery/variants/{font.variant_id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_a_revoked_item_shows_no_downloads_left(client, shop_a):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    page = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "5 downloads left" in page
    with tenant_context(shop_a):
        services.revoke_grant(services.get_grant(the_grant(shop_a, order_id).id), reason="x")
        db.session.commit()
    page = client.get(order_page_link(shop_a, order_id)).get_data(as_text=True)
    assert "Access withdrawn" in page and "downloads left" not in page


def test_a_refunded_line_is_given_access_again_only_when_confirmed(
    client, shop_a, member_of_a, no_csrf
):
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id)
    refund_units(shop_a, order_id, 1)
    grant = the_grant(shop_a, order_id)
    assert grant.status is GrantStatus.REVOKED
    line_id = grant.order_line_id
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "This line was refunded: give access anyway?" in html
    assert regrant(client, line_id, key="c" * 32).status_code == 303
    assert the_grant(shop_a, order_id).status is GrantStatus.REVOKED
    html = client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "this line was refunded: give access anyway?" in html
    confirmed = client.post(
        f"{ADMIN}/delivery/lines/{line_id}/regrant",
        data={
            f"regrant-{line_id.hex}-key": "c" * 32,
            f"regrant-{line_id.hex}-days": "",
            f"regrant-{line_id.hex}-refunded_ok": "y",
        },
    )
    assert confirmed.status_code == 303
    assert the_grant(shop_a, order_id).status is GrantStatus.ACTIVE
    assert timedelta(days=29) < the_grant(shop_a, order_id).expires_at - datetime.now(UTC)
