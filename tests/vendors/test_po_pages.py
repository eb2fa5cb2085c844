"""The purchase order pages: the list (status tabs, vendor filter, keyset pages, a flat number
of queries), a new draft once per form, the draft's lines, note and confirmation before
removing, who may see them, and another shop's PO answering 404 everywhere."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

import pytest

from mall.db import utcnow
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.purchasing import draft_po, make_po, make_variant, make_vendor, supply
from vendors.models import PurchaseOrder
from vendors.purchasing.services import get_purchase_order, mark_sent

LIST = "/shop/shop-a/admin/purchasing/orders"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def member(shop, make_user, sign_in, role=Role.OWNER):
    user = make_user(f"{role.value}@example.com", name=f"A {role.value}")
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    sign_in(user)
    return user


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    return member(shop_a, make_user, sign_in)


def many_pos(shop, count: int, *, vendor_name: str = "Acme Supplies", sent: int = 0) -> list:
    """``count`` POs to one vendor, one minute apart, the first ``sent`` of them sent."""
    with tenant_context(shop):
        vendor = make_vendor(shop, name=vendor_name)
        variant = make_variant(shop)
        supply(vendor, variant)
        from vendors.purchasing.services import PoLineInput, create_purchase_order

        made = []
        start = utcnow() - timedelta(days=1)
        for n in range(count):
            po = create_purchase_order(vendor, lines=[PoLineInput(variant.id, 2)], actor_id=None)
            po.created_at = start + timedelta(minutes=n)
            if n < sent:
                mark_sent(po, actor_id=None)
            made.append((po.id, po.number))
        db.session.commit()
        return made, vendor.id


def test_the_list_by_status_and_vendor(client, shop_a, owner):
    acme, acme_id = many_pos(shop_a, 3, sent=1)
    other, _ = many_pos(shop_a, 1, vendor_name="Bolt & Co")
    body = client.get(LIST).get_data(as_text=True)
    for _, number in acme + other:
        assert number in body
    assert "Bolt &amp; Co" in body and "$10.00" in body
    body = client.get(f"{LIST}?status=sent").get_data(as_text=True)
    assert acme[0][1] in body and acme[1][1] not in body
    body = client.get(f"{LIST}?vendor={acme_id}").get_data(as_text=True)
    assert acme[2][1] in body and other[0][1] not in body
    # Nonsense filters show everything rather than fail.
    assert client.get(f"{LIST}?status=nope&vendor=%00x&older=zz").status_code in (200, 400)
    assert client.get(f"{LIST}?status=nope&vendor=x&older=zz").status_code == 200


def test_the_list_pages_by_position(client, shop_a, owner):
    made, _ = many_pos(shop_a, 27)
    body = client.get(LIST).get_data(as_text=True)
    numbers = re.findall(r">(SHOPA-PO-\d+)<", body)
    assert numbers[0] == made[-1][1] and len(numbers) == 25
    older = re.search(r'href="([^"]*older=[^"]+)"', body).group(1).replace("&amp;", "&")
    body = client.get(older).get_data(as_text=True)
    assert re.findall(r">(SHOPA-PO-\d+)<", body) == [made[1][1], made[0][1]]


def test_the_list_costs_the_same_queries_for_2_or_20_pos(client, shop_a, owner, count_queries):
    many_pos(shop_a, 2)
    client.get(LIST)
    with count_queries() as few:
        assert client.get(LIST).status_code == 200
    many_pos(shop_a, 18, vendor_name="Other vendor")
    with count_queries() as more:
        assert client.get(LIST).status_code == 200
    assert more.count == few.count


def test_the_po_page_costs_the_same_queries_for_1_or_10_lines(client, shop_a, owner, count_queries):
    def po_with(lines: int):
        with tenant_context(shop_a):
            vendor = make_vendor(shop_a)
            from vendors.purchasing.services import PoLineInput, create_purchase_order

            items = []
            for _ in range(lines):
                variant = make_variant(shop_a)
                supply(vendor, variant)
                items.append(PoLineInput(variant.id, 1))
            po = create_purchase_order(vendor, lines=items, actor_id=None)
            mark_sent(po, actor_id=None)
            db.session.commit()
            return po.id

    small, big = po_with(1), po_with(10)
    client.get(f"{LIST}/{small}")
    with count_queries() as one:
        client.get(f"{LIST}/{small}")
    with count_queries() as ten:
        client.get(f"{LIST}/{big}")
    assert ten.count == one.count


def test_a_new_draft_once_per_form(client, shop_a, owner, no_csrf):
    with tenant_context(shop_a):
        vendor_id = make_vendor(shop_a, name="Acme").id
        make_vendor(shop_a, name="Gone").status = "archived"
        db.session.commit()
    body = client.get(f"{LIST}/new").get_data(as_text=True)
    assert "Acme" in body and "Gone" not in body
    key = re.search(r'name="key" type="hidden" value="([0-9a-f-]{36})"', body).group(1)
    form = {"key": key, "vendor": str(vendor_id), "note": "Deliver before noon"}
    first = client.post(f"{LIST}/new", data=form)
    again = client.post(f"{LIST}/new", data=form)
    assert first.status_code == again.status_code == 303
    assert first.location == again.location == f"{LIST}/{key}"
    with tenant_context(shop_a):
        assert db.session.query(PurchaseOrder).count() == 1
        assert get_purchase_order(key).note == "Deliver before noon"
    body = client.get(f"{LIST}/{key}").get_data(as_text=True)
    assert "No lines yet" in body


def test_a_new_draft_needs_a_vendor(client, shop_a, owner, no_csrf):
    with tenant_context(shop_a):
        make_vendor(shop_a)
        db.session.commit()
    response = client.post(f"{LIST}/new", data={"key": str(uuid4()), "vendor": "", "note": "x"})
    assert response.status_code == 422 and "Choose a vendor." in response.get_data(as_text=True)
    response = client.post(f"{LIST}/new", data={"key": "nope", "vendor": ""})
    assert response.status_code == 422 and "The form expired" in response.get_data(as_text=True)


def test_the_draft_page_adds_changes_and_removes_lines(client, shop_a, owner, no_csrf):
    with tenant_context(shop_a):
        po = draft_po(shop_a, packs=2)
        po_id, first = po.id, po.lines[0]
        first_id, first_name = first.id, first.description
        from vendors.purchasing.services import get_vendor

        variant = make_variant(shop_a, title="Teapot")
        supply(get_vendor(po.vendor_id), variant, pack_size=6, unit_cost=1000)
        variant_id = variant.id
        db.session.commit()
    page = f"{LIST}/{po_id}"
    body = client.get(page).get_data(as_text=True)
    assert "Teapot" in body and "pack of 6" in body
    response = client.post(f"{page}/lines/add", data={"variant": str(variant_id), "packs": "x"})
    assert response.status_code == 422 and "Enter a whole number." in response.get_data(True)
    response = client.post(
        f"{page}/lines/add", data={"variant": str(uuid4()), "packs": "1", "unit_cost": ""}
    )
    assert response.status_code == 409 and "does not supply that product" in response.get_data(True)
    response = client.post(
        f"{page}/lines/add", data={"variant": str(variant_id), "packs": "3", "unit_cost": "9.50"}
    )
    assert response.status_code == 303
    with tenant_context(shop_a):
        second = get_purchase_order(po_id).lines[1]
        assert (second.quantity_ordered, second.unit_cost) == (3, 950)
        second_id = second.id
    lines = {
        f"packs-{first_id}": "0",
        f"cost-{first_id}": "5.00",
        f"packs-{second_id}": "4",
        f"cost-{second_id}": "12,5",
    }
    response = client.post(f"{page}/lines", data=lines)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="12,5"' in body and "decimal" in body.lower()
    lines[f"cost-{second_id}"] = "12.50"
    response = client.post(f"{page}/lines", data=lines)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "These lines will be removed" in body and first_name in body
    with tenant_context(shop_a):
        assert len(get_purchase_order(po_id).lines) == 2  # nothing yet
    response = client.post(f"{page}/lines", data={**lines, "confirm": "yes"})
    assert response.status_code == 303
    with tenant_context(shop_a):
        db.session.expire_all()
        [line] = get_purchase_order(po_id).lines
        assert (line.quantity_ordered, line.unit_cost) == (4, 1250)
    response = client.post(f"{page}/note", data={"note": "x" * 1001})
    assert response.status_code == 422 and "at most 1000" in response.get_data(as_text=True)
    assert client.post(f"{page}/note", data={"note": "Side door"}).status_code == 303
    assert "Side door" in client.get(page).get_data(as_text=True)


def test_staff_without_purchasing_rights_are_refused(client, shop_a, make_user, sign_in):
    po_id = make_po(shop_a)
    member(shop_a, make_user, sign_in, role=Role.STAFF)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{po_id}").status_code == 403


def test_another_shops_po_is_404_on_every_route(app, client, shop_a, shop_b, owner, no_csrf):
    theirs = make_po(shop_b)
    rules = [r for r in app.url_map.iter_rules() if "po_id" in r.arguments]
    assert len(rules) >= 12
    for rule in rules:
        path = rule.build({"shop": "shop-a", "po_id": theirs})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, f"{method} {path}"
    with tenant_context(shop_b):
        assert get_purchase_order(theirs).status.value == "draft"


def test_the_vendor_page_lists_its_latest_pos(client, shop_a, owner):
    made, vendor_id = many_pos(shop_a, 6)
    body = client.get(f"/shop/shop-a/admin/purchasing/vendors/{vendor_id}").get_data(as_text=True)
    assert made[-1][1] in body and made[1][1] in body and f">{made[0][1]}<" not in body
    assert f"{LIST}?vendor={vendor_id}" in body
    assert f"{LIST}/new?vendor={vendor_id}" in body
    body = client.get(f"{LIST}/new?vendor={vendor_id}").get_data(as_text=True)
    assert f'<option selected value="{vendor_id}">' in body
