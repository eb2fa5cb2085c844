"""Data export: the customer asks, a job builds a ZIP of everything about them (and nobody else),
the emailed link opens only for them, signed in, until it expires; then the file is deleted."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mall.accounts import export as export_service
from mall.accounts.addresses import PostalAddress
from mall.accounts.export_contents import SECTIONS_KEY, personal_data
from mall.accounts.models import DataExport, ExportStatus, SavedAddress
from mall.accounts.services import authenticate
from mall.db import utcnow
from mall.delivery.models import DownloadEvent
from mall.extensions import db
from mall.storage import storage
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.delivery import digital_product, paid_order, the_grant
from tests.support.mail import clear_outbox, link_in, sent_to
from tests.support.shopping import csrf_of

ADA = "ada.export@example.com"
ZED = "zed.other@example.com"


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def order_for(shop, user, *, email: str, name: str, street: str):
    with tenant_context(shop):
        order = place_order(
            shop,
            email=email,
            address=PostalAddress(
                name=name, line1=street, city="Springfield", postal_code="62701", country="US"
            ),
        )
        order.user_id = user.id
        number = order.number
        db.session.commit()
    return number


@pytest.fixture
def two_customers(app_ctx, shop_a, shop_b, make_user, outbox):
    """Ada and Zed, each with orders in shops A and B, a sign-in and a saved address;
    Ada also bought a digital product (licence-free) and downloaded it once."""
    ada = make_user(ADA, name="Ada Exporter")
    zed = make_user(ZED, name="Zed Otherperson")
    numbers = {}
    for user, name, street in (
        (ada, "Ada Exporter", "1 Ada Lane"),
        (zed, "Zed Otherperson", "9 Zed Road"),
    ):
        numbers[user.id] = [
            order_for(shop, user, email=user.email, name=name, street=street)
            for shop in (shop_a, shop_b)
        ]
        authenticate(
            user.email,
            "correct horse battery",
            ip_address="203.0.113.7" if user is ada else "198.51.100.99",
        )
        saved = SavedAddress(user_id=user.id)
        saved.address_json = PostalAddress(
            name=name, line1=street, city="Springfield", postal_code="62701", country="US"
        ).to_json()
        saved.fingerprint = bytes(32) if user is ada else b"\x01" * 32
        db.session.add(saved)
        db.session.commit()
    font = digital_product(shop_a)
    order_id = paid_order(shop_a, font.variant_id, email=ADA, user_id=ada.id)
    grant = the_grant(shop_a, order_id)
    with tenant_context(shop_a):
        event = DownloadEvent(grant_id=grant.id, file_id=font.file_ids[0])
        event.ip_address = "203.0.113.8"
        db.session.add(event)
        db.session.commit()
    return ada, zed, numbers


def exports_sent(app, address):
    return [m for m in sent_to(app, address) if "data export is ready" in m["Subject"]]


def zip_of(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def request_and_open(client, sign_in, app, user):
    sign_in(user)
    page = client.get("/account/privacy/")
    assert page.status_code == 200
    assert "Request my data" in page.get_data(as_text=True)
    response = client.post("/account/privacy/export", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    (message,) = exports_sent(app, user.email)
    return link_in(message, "/account/privacy/export/")


def test_the_export_holds_everything_about_the_customer_and_nothing_of_others(
    app, client, sign_in, two_customers
):
    ada, zed, numbers = two_customers
    link = request_and_open(client, sign_in, app, ada)
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    files = zip_of(response)
    assert {"README.txt", "data.json", "orders.csv", "order_lines.csv", "sign_ins.csv"} <= set(
        files
    )
    data = json.loads(files["data.json"])
    assert data["account"]["email"] == ADA
    assert data["account"]["name"] == "Ada Exporter"
    assert data["saved_addresses"][0]["line1"] == "1 Ada Lane"
    assert [e["ip_address"] for e in data["sign_ins"]] == ["203.0.113.7"]
    assert {shop["shop"] for shop in data["shops"]} == {"Shop A", "Shop B"}
    orders = [order for shop in data["shops"] for order in shop["orders"]]
    assert set(numbers[ada.id]) <= {order["number"] for order in orders}
    assert not set(numbers[zed.id]) & {order["number"] for order in orders}
    assert all(order["email"] == ADA for order in orders)
    assert orders[0]["shipping_address"]["name"] == "Ada Exporter"
    assert orders[0]["lines"] and orders[0]["total"] > 0
    digital = [order for order in orders if order["downloads"]]
    assert digital and digital[0]["invoices"][0]["number"]
    assert digital[0]["downloads"][0]["log"][0]["ip_address"] == "203.0.113.8"
    everything = b"".join(files.values())
    for other in (ZED, "Zed Otherperson", "9 Zed Road", "198.51.100.99"):
        assert other.encode() not in everything
    # The CSV is there for a spreadsheet too.
    assert numbers[ada.id][0].encode() in files["orders.csv"]


def test_the_stored_file_is_sealed_and_names_no_account(app, client, sign_in, two_customers):
    ada, _, _ = two_customers
    link = request_and_open(client, sign_in, app, ada)
    export = db.session.scalar(sa.select(DataExport).where(DataExport.user_id == ada.id))
    path = Path(app.config["INSTANCE_PATH"]) / "files" / export.storage_key
    on_disk = path.read_bytes()
    assert on_disk[:2] != b"PK"  # not a ZIP anyone can open
    for clear in (ADA.encode(), b"Ada Exporter", b"1 Ada Lane", b"203.0.113.7"):
        assert clear not in on_disk
    assert ada.id.hex not in export.storage_key and str(ada.id) not in export.storage_key
    assert export.id.hex in export.storage_key  # the folder is the export's own
    files = zip_of(client.get(link))  # the owner's download opens it
    assert json.loads(files["data.json"])["account"]["email"] == ADA


def test_a_sealed_file_moved_to_another_export_does_not_open(app, client, sign_in, two_customers):
    ada, zed, _ = two_customers
    request_and_open(client, sign_in, app, ada)
    zed_link = request_and_open(client, sign_in, app, zed)
    ada_export, zed_export = (
        db.session.scalar(sa.select(DataExport).where(DataExport.user_id == user.id))
        for user in (ada, zed)
    )
    storage().save(zed_export.storage_key, storage().open(ada_export.storage_key))
    response = client.get(zed_link)
    assert response.status_code == 410
    assert ADA.encode() not in response.data


def test_the_link_opens_only_for_the_same_account_signed_in(app, client, sign_in, two_customers):
    ada, zed, _ = two_customers
    link = request_and_open(client, sign_in, app, ada)
    with client.session_transaction() as session:
        session.clear()
    anonymous = client.get(link)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location
    sign_in(zed)
    other = client.get(link)
    assert other.status_code == 404
    assert "another account" in other.get_data(as_text=True)
    assert client.get("/account/privacy/export/not-a-token").status_code == 404


def test_asking_twice_builds_one_export(app, client, sign_in, two_customers):
    ada, _, _ = two_customers
    sign_in(ada)
    token = {"csrf_token": csrf_of(client.get("/account/privacy/").text)}
    client.post("/account/privacy/export", data=token)
    again = client.post("/account/privacy/export", data=token, follow_redirects=True)
    assert "You already asked for your data" in again.get_data(as_text=True)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(DataExport).where(DataExport.user_id == ada.id)
    )
    assert count == 1
    assert len(exports_sent(app, ADA)) == 1
    # A replayed job does nothing more.
    export = db.session.scalar(sa.select(DataExport).where(DataExport.user_id == ada.id))
    export_service.build_export(export.id)
    assert len(exports_sent(app, ADA)) == 1


def test_an_export_from_before_sealing_does_not_block_a_new_one(
    app, client, sign_in, two_customers
):
    ada, _, _ = two_customers
    request_and_open(client, sign_in, app, ada)
    export = db.session.scalar(sa.select(DataExport).where(DataExport.user_id == ada.id))
    export.storage_key = export.storage_key.replace(".sealed", ".zip")  # as the old ones were
    db.session.commit()
    token = {"csrf_token": csrf_of(client.get("/account/privacy/").text)}
    again = client.post("/account/privacy/export", data=token, follow_redirects=True)
    assert "You already asked for your data" not in again.get_data(as_text=True)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(DataExport).where(DataExport.user_id == ada.id)
    )
    assert count == 2


def test_an_expired_link_is_gone_and_its_file_deleted(app, client, sign_in, two_customers):
    ada, _, _ = two_customers
    link = request_and_open(client, sign_in, app, ada)
    export = db.session.scalar(sa.select(DataExport).where(DataExport.user_id == ada.id))
    key = export.storage_key
    assert key.startswith("private/exports/") and storage().open(key)
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    gone = client.get(link)
    assert gone.status_code == 410
    assert "This download link has expired" in gone.get_data(as_text=True)

    assert export_service.delete_expired_exports() == 1
    db.session.commit()
    assert export.status is ExportStatus.EXPIRED and export.storage_key is None
    with pytest.raises(FileNotFoundError):
        storage().open(key)
    assert export_service.delete_expired_exports() == 0  # nothing left to do
    assert client.get(link).status_code == 410
    # A new export can be asked for now.
    token = {"csrf_token": csrf_of(client.get("/account/privacy/").text)}
    client.post("/account/privacy/export", data=token)
    assert len(exports_sent(app, ADA)) == 2


def test_other_domains_add_their_section_for_each_shop(app, client, sign_in, two_customers):
    ada, _, _ = two_customers
    seen = []

    def notes(user):
        from tenants.context import current_tenant_id

        seen.append(current_tenant_id())
        return [{"note": "likes teapots"}]

    app.extensions.setdefault(SECTIONS_KEY, {})["crm_notes"] = notes
    try:
        link = request_and_open(client, sign_in, app, ada)
        data = json.loads(zip_of(client.get(link))["data.json"])
    finally:
        app.extensions[SECTIONS_KEY].pop("crm_notes")
    assert len(seen) == 2 and None not in seen
    assert all(shop["crm_notes"] == [{"note": "likes teapots"}] for shop in data["shops"])


def test_more_orders_cost_no_more_queries(app_ctx, shop_a, two_customers, count_queries):
    ada, _, _ = two_customers
    with count_queries() as before:
        personal_data(ada)
    for n in range(3):
        order_for(shop_a, ada, email=ADA, name="Ada Exporter", street=f"{n} Ada Lane")
    with count_queries() as after:
        data = personal_data(ada)
    assert len([o for shop in data["shops"] for o in shop["orders"]]) == 6
    assert after.count == before.count


def test_the_export_holds_newsletter_consents_and_messages_to_the_operator(
    app_ctx, shop_a, shop_b, two_customers
):
    from mall.accounts.contact import Sender, send_contact_message
    from mall.newsletters.models import ConsentSource
    from mall.newsletters.services import subscribe

    ada, zed, _ = two_customers
    subscribe(ADA, source=ConsentSource.ACCOUNT, user_id=ada.id, mall=True)
    with tenant_context(shop_a):
        subscribe(ADA, source=ConsentSource.CHECKOUT, user_id=ada.id)
    with tenant_context(shop_b):
        subscribe(ZED, source=ConsentSource.CHECKOUT, user_id=zed.id)
    send_contact_message(
        "form-1", sender=Sender("Ada Exporter", ADA), subject="My data", body="Where is it?",
        user_id=ada.id,
    )  # fmt: skip
    db.session.commit()

    found = personal_data(ada)
    assert found["mall_newsletter"]["status"] == "subscribed"
    assert found["mall_newsletter"]["source"] == "account"
    by_shop = {part["shop"]: part for part in found["shops"]}
    assert by_shop[shop_a.name]["newsletter"]["source"] == "checkout"
    assert by_shop[shop_b.name]["newsletter"] is None  # Zed's consent, not hers
    assert found["messages_to_the_operator"][0]["text"] == "Where is it?"
    assert personal_data(zed)["messages_to_the_operator"] == []
