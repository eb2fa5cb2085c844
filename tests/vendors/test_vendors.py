"""Vendors of a shop: add, edit, archive and restore through the back office; what a bad form
says; the list (search, status, pages, query count); sealed contact data; isolation."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.keys.service import tenant_scope
from tests.crawl.vendors_directory import make_vendor, new_vendor
from vendors.directory import services
from vendors.models import Vendor, VendorStatus

BASE = "/shop/shop-a/admin/purchasing"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def form(**overrides) -> dict:
    data = {
        "name": "Acme Supplies",
        "contact_name": "Wile Coyote",
        "email": "wile@acme.example",
        "phone": "+1 555 0100",
        "street": "1 Desert Road",
        "city": "Tucson",
        "postcode": "85701",
        "country": "US",
        "payment_terms_days": "45",
        "lead_time_days": "7",
        "currency_note": "Invoices in USD",
        "billing_policy": "received",
        "notes": "Call before noon.",
    }
    data.update(overrides)
    return data


def only_vendor(shop) -> Vendor:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(Vendor)).one()


def test_add_a_vendor_and_see_its_page(client, shop_a, member_of_a, no_csrf):
    response = client.post(f"{BASE}/vendors/new", data=form())
    assert response.status_code == 303
    vendor = only_vendor(shop_a)
    assert response.headers["Location"].endswith(f"/vendors/{vendor.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for shown in (
        "Acme Supplies",
        "Wile Coyote",
        "wile@acme.example",
        "+1 555 0100",
        "1 Desert Road",
        "Tucson",
        "85701",
        "United States",
        "Net 45 days",
        "7 days",
        "Invoices in USD",
        "Call before noon.",
    ):
        assert shown in page, shown
    assert "Acme Supplies added" in page


def test_the_contact_data_is_sealed_in_the_row(client, shop_a, member_of_a, no_csrf):
    client.post(f"{BASE}/vendors/new", data=form())
    with tenant_context(shop_a):
        row = db.session.execute(
            sa.text("SELECT name, contact_name, email, phone, address, notes FROM vendors")
        ).one()
    assert row.name == "Acme Supplies"  # plain: searched and sorted
    stored = b"".join(bytes(value) for value in row[1:])
    for secret in (b"Wile", b"wile@acme", b"555 0100", b"Desert", b"Tucson", b"noon"):
        assert secret not in stored
    vendor = only_vendor(shop_a)
    with tenant_context(shop_a):
        assert vendor.email == "wile@acme.example"
        # Found by its blind index, case and spaces aside.
        assert vendor.email_index == Vendor.email.lookup(
            " WILE@acme.example", scope=tenant_scope(shop_a.id)
        )


def test_edit_a_vendor(client, shop_a, member_of_a, no_csrf):
    vendor_id = make_vendor(shop_a)
    page = client.get(f"{BASE}/vendors/{vendor_id}/edit").get_data(as_text=True)
    assert "sales@acme.example" in page  # the form shows what is saved
    response = client.post(
        f"{BASE}/vendors/{vendor_id}/edit",
        data=form(name="Acme Wholesale", email="", country="", street="", city="", postcode=""),
    )
    assert response.status_code == 303
    vendor = only_vendor(shop_a)
    with tenant_context(shop_a):
        assert vendor.name == "Acme Wholesale"
        assert vendor.email is None and vendor.email_index is None
        assert vendor.address_json is None
        assert vendor.payment_terms_days == 45


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the vendor's company name."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"payment_terms_days": "366"}, "payment_terms_days", "Enter 0 to 365 days."),
        ({"payment_terms_days": "99999999999999999999999"}, "payment_terms_days", "Enter 0 to 365"),
        ({"payment_terms_days": "-1"}, "payment_terms_days", "Enter 0 to 365 days."),
        ({"payment_terms_days": "ten"}, "payment_terms_days", "integer"),
        ({"lead_time_days": "400"}, "lead_time_days", "Enter 0 to 365 days."),
        ({"country": "XX"}, "country", "Not a valid choice"),
        ({"billing_policy": "never"}, "billing_policy", "Not a valid choice"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ],
)
def test_a_bad_vendor_form_says_why_at_the_field(
    client, shop_a, member_of_a, no_csrf, changes, field, message
):
    response = client.post(f"{BASE}/vendors/new", data=form(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</div>', page, re.S)
    assert errors and message in html.unescape(errors.group(1)), page[:200]
    assert 'value="Wile Coyote"' in page or changes.get("contact_name") is not None  # kept
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Vendor)) == 0


def test_a_nul_byte_is_refused_before_any_view(client, shop_a, member_of_a, no_csrf):
    response = client.post(f"{BASE}/vendors/new", data=form(name="Acme\x00"))
    assert response.status_code == 400
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Vendor)) == 0


def test_the_service_checks_what_the_form_did_not(app_ctx, shop_a):
    with tenant_context(shop_a):
        for data, field in (
            (services.VendorInput(name=""), "name"),
            (services.VendorInput(name="A", email="nope"), "email"),
            (services.VendorInput(name="A", payment_terms_days=366), "payment_terms_days"),
            (services.VendorInput(name="A", lead_time_days=-1), "lead_time_days"),
            (services.VendorInput(name="A", country="Atlantis"), "country"),
            (services.VendorInput(name="A", billing_policy="later"), "billing_policy"),
        ):
            with pytest.raises(services.VendorInvalid) as refused:
                services.create_vendor(data, actor_id=None)
            assert refused.value.field == field


def test_archive_and_restore_each_once(client, shop_a, member_of_a, no_csrf):
    vendor_id = make_vendor(shop_a)
    response = client.post(f"{BASE}/vendors/{vendor_id}/archive")
    assert response.status_code == 303
    assert "archived" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert only_vendor(shop_a).status is VendorStatus.ARCHIVED
    again = client.post(f"{BASE}/vendors/{vendor_id}/archive", follow_redirects=True)
    assert "already archived: nothing changed" in again.get_data(as_text=True)
    # Hidden from the active list and from pickers, shown under "archived".
    assert "Acme Supplies" not in client.get(f"{BASE}/vendors").get_data(as_text=True)
    assert "Acme Supplies" in client.get(f"{BASE}/vendors?status=archived").get_data(as_text=True)
    with tenant_context(shop_a):
        assert services.active_vendors() == []
    client.post(f"{BASE}/vendors/{vendor_id}/restore")
    assert only_vendor(shop_a).status is VendorStatus.ACTIVE
    again = client.post(f"{BASE}/vendors/{vendor_id}/restore", follow_redirects=True)
    assert "already active: nothing changed" in again.get_data(as_text=True)


def test_the_list_searches_by_name_and_pages(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        for n in range(30):
            new_vendor(f"Vendor {n:02d}")
        new_vendor("Zeta 100% Cotton")
        db.session.commit()
    first = client.get(f"{BASE}/vendors").get_data(as_text=True)
    assert "Vendor 00" in first and "Vendor 24" in first and "Vendor 25" not in first
    assert "Page 1 of 2" in first
    second = client.get(f"{BASE}/vendors?page=2").get_data(as_text=True)
    assert "Vendor 25" in second and "Zeta" in second
    found = client.get(f"{BASE}/vendors?q=vendor+1").get_data(as_text=True)
    assert "Vendor 10" in found and "Vendor 19" in found and "Vendor 20" not in found
    # LIKE's wildcards are only characters.
    found = client.get(f"{BASE}/vendors?q=100%25").get_data(as_text=True)
    assert "Zeta" in found and "Vendor 10" not in found
    assert "No active vendor" in client.get(f"{BASE}/vendors?q=nothing").get_data(as_text=True)
    assert client.get(f"{BASE}/vendors?page=99999999999999&status=bogus").status_code == 200


def test_the_list_costs_the_same_for_more_vendors(client, shop_a, member_of_a, count_queries):
    def cost() -> int:
        with count_queries() as counted:
            assert client.get(f"{BASE}/vendors").status_code == 200
        return counted.count

    with tenant_context(shop_a):
        new_vendor("One")
        db.session.commit()
    few = cost()
    with tenant_context(shop_a):
        for n in range(20):
            new_vendor(f"More {n}")
        db.session.commit()
    assert cost() == few


def test_a_sales_rep_cannot_manage_vendors(client, shop_a, make_user, sign_in, no_csrf):
    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    assert client.get(f"{BASE}/vendors").status_code == 403
    assert client.post(f"{BASE}/vendors/new", data=form()).status_code == 403


def test_a_manager_sees_the_purchasing_tab(client, shop_a, member_of_a):
    page = client.get("/shop/shop-a/admin/").get_data(as_text=True)
    assert f'href="{BASE}/vendors"' in page and ">Purchasing<" in page


def test_another_shops_vendor_is_404_on_every_route(client, shop_a, shop_b, member_of_a, no_csrf):
    theirs = make_vendor(shop_b)
    for method, path in (
        ("GET", f"/vendors/{theirs}"),
        ("GET", f"/vendors/{theirs}/edit"),
        ("POST", f"/vendors/{theirs}/edit"),
        ("POST", f"/vendors/{theirs}/archive"),
        ("POST", f"/vendors/{theirs}/restore"),
        ("POST", f"/vendors/{theirs}/products"),
    ):
        response = client.open(BASE + path, method=method, data=form())
        assert response.status_code == 404, (method, path)
    assert "Acme" not in client.get(f"{BASE}/vendors").get_data(as_text=True)
    with tenant_context(shop_b):
        db.session.expire_all()
        assert db.session.scalars(sa.select(Vendor)).one().status is VendorStatus.ACTIVE


def test_purchasing_settings_are_made_on_the_first_save(client, shop_a, member_of_a, no_csrf):
    from vendors.directory.settings import over_receipt_bp
    from vendors.models import PurchasingSettings

    page = client.get(f"{BASE}/settings").get_data(as_text=True)
    assert 'value="0"' in page
    response = client.post(f"{BASE}/settings", data={"over_receipt": "2.5"})
    assert response.status_code == 303
    assert 'value="2.5"' in client.get(f"{BASE}/settings").get_data(as_text=True)
    client.post(f"{BASE}/settings", data={"over_receipt": "100 %"})
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchasingSettings)) == 1
        assert over_receipt_bp() == 10_000


@pytest.mark.parametrize("typed", ["100.01", "-1", "abc", "1e2", "5.555", "9" * 30, ""])
def test_a_bad_tolerance_is_refused(client, shop_a, member_of_a, no_csrf, typed):
    response = client.post(f"{BASE}/settings", data={"over_receipt": typed})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="over_receipt-errors"' in page and "Enter a percentage from 0 to 100" in page


def test_another_shops_settings_are_its_own(client, shop_a, shop_b, member_of_a, no_csrf):
    from vendors.directory.settings import over_receipt_bp, save_settings

    with tenant_context(shop_b):
        save_settings(over_receipt_bp=500, actor_id=None)
        db.session.commit()
    assert 'value="0"' in client.get(f"{BASE}/settings").get_data(as_text=True)
    client.post(f"{BASE}/settings", data={"over_receipt": "1"})
    with tenant_context(shop_b):
        assert over_receipt_bp() == 500
