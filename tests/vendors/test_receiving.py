"""Receiving against a purchase order: packs into stock units through movements, the
over-receipt tolerance (0 and 10 %), once per form, close short, drop-ship and deleted
products refused, and the receive form on the PO page."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockMovement, StockReason, Variant
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.purchasing import draft_po
from vendors.errors import PurchasingError
from vendors.models import PurchaseReceipt, PurchaseStatus, PurchasingSettings
from vendors.purchasing.receiving import close_short, receive
from vendors.purchasing.services import get_purchase_order, mark_sent

S = PurchaseStatus


def sent_po(shop, *, packs: int = 10, pack_size: int = 1, **kw):
    po = draft_po(shop, packs=packs, pack_size=pack_size)
    for name, value in kw.items():
        setattr(po, name, value)
    mark_sent(po, actor_id=None)
    return po


def take(po, packs: int, key: str | None = None):
    return receive(
        po, quantities={po.lines[0].id: packs}, receipt_key=key or uuid4().hex, actor_id=None
    )


def on_hand(po) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Variant.stock_quantity).where(Variant.id == po.lines[0].variant_id)
    )


def movements(po) -> list[tuple[int, StockReason, str]]:
    rows = db.session.execute(
        sa.select(StockMovement.delta, StockMovement.reason, StockMovement.note).where(
            StockMovement.variant_id == po.lines[0].variant_id
        )
    )
    return [tuple(row) for row in rows]


def test_two_packs_of_twelve_are_24_units(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a, packs=5, pack_size=12)
        receipt = take(po, 2)
        assert [(line.packs, line.units) for line in receipt.lines] == [(2, 24)]
        assert on_hand(po) == 24
        assert movements(po) == [(24, StockReason.RECEIPT, po.number)]
        assert po.status is S.PARTIALLY_RECEIVED
        assert po.lines[0].quantity_received == 2


def test_the_same_form_twice_is_one_receipt(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a, packs=4)
        first = take(po, 4, key="a" * 32)
        again = take(po, 4, key="a" * 32)
        assert again.id == first.id
        assert on_hand(po) == 4 and len(movements(po)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseReceipt)) == 1
        assert po.status is S.RECEIVED


def test_no_tolerance_refuses_one_more_and_leaves_nothing(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a, packs=10)
        take(po, 6)
        with pytest.raises(
            PurchasingError,
            match=re.escape(
                f"{po.lines[0].description}: 10 packs ordered, 6 received; "
                "at most 4 more can be received."
            ),
        ):
            take(po, 5)
        assert on_hand(po) == 6 and po.lines[0].quantity_received == 6
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseReceipt)) == 1


def test_ten_percent_tolerance(shop_a):
    with tenant_context(shop_a):
        db.session.add(PurchasingSettings(over_receipt_bp=1000))
        po = sent_po(shop_a, packs=10)
        with pytest.raises(PurchasingError, match="at most 11 more"):
            take(po, 12)
        take(po, 11)
        assert po.status is S.RECEIVED and on_hand(po) == 11


def test_several_lines_in_one_receipt(shop_a):
    with tenant_context(shop_a):
        from tests.crawl.purchasing import make_variant, supply
        from vendors.purchasing.drafts import add_line
        from vendors.purchasing.services import PoLineInput, get_vendor

        po = draft_po(shop_a, packs=3)
        variant = make_variant(shop_a)
        supply(get_vendor(po.vendor_id), variant, pack_size=6)
        add_line(po, PoLineInput(variant.id, 2), actor_id=None)
        mark_sent(po, actor_id=None)
        first, second = po.lines
        receipt = receive(
            po,
            quantities={first.id: 3, second.id: 0},
            receipt_key=uuid4().hex,
            actor_id=None,
        )
        assert [line.po_line_id for line in receipt.lines] == [first.id]
        assert po.status is S.PARTIALLY_RECEIVED
        receive(po, quantities={second.id: 2}, receipt_key=uuid4().hex, actor_id=None)
        assert po.status is S.RECEIVED
        db.session.expire_all()
        assert db.session.get(Variant, (shop_a.id, variant.id)).stock_quantity == 12


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ("none", "Enter how many packs arrived"),
        ("zero", "Enter how many packs arrived"),
        ("negative", "Enter a whole number from 0"),
        ("foreign", "That line is not on"),
    ],
)
def test_bad_quantities_are_refused(shop_a, quantities, message):
    with tenant_context(shop_a):
        po = sent_po(shop_a)
        line_id = po.lines[0].id
        found = {
            "zero": {line_id: 0},
            "negative": {line_id: -1},
            "foreign": {uuid4(): 1},
            "none": {},
        }[quantities]
        with pytest.raises(PurchasingError, match=message):
            receive(po, quantities=found, receipt_key=uuid4().hex, actor_id=None)


def test_a_key_of_another_po_is_refused(shop_a):
    with tenant_context(shop_a):
        one, other = sent_po(shop_a), sent_po(shop_a)
        take(one, 1, key="b" * 32)
        with pytest.raises(PurchasingError, match="form has expired"):
            take(other, 1, key="b" * 32)


def test_drop_ship_is_not_received(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a, drop_ship=True)
        with pytest.raises(PurchasingError, match="is drop-shipped"):
            take(po, 1)


def test_a_deleted_product_cannot_go_into_stock(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a)
        variant = db.session.get(Variant, (shop_a.id, po.lines[0].variant_id))
        product = variant.product
        db.session.delete(product)
        db.session.flush()
        with pytest.raises(PurchasingError, match="the product was deleted"):
            take(po, 1)
        assert po.lines[0].quantity_received == 0
        assert close_short(po, actor_id=None) is True


# ---------------------------------------------------------------- the form


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner@example.com", name="Olga Owner")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def committed_sent(shop, **kw):
    with tenant_context(shop):
        po = sent_po(shop, **kw)
        made = (po.id, po.lines[0].id, po.number)
        db.session.commit()
    return made


def test_the_receive_form(client, shop_a, owner, no_csrf):
    po_id, line_id, number = committed_sent(shop_a, packs=3, pack_size=12)
    page = f"/shop/shop-a/admin/purchasing/orders/{po_id}"
    body = client.get(page).get_data(as_text=True)
    assert "Receive into stock" in body and "(36 units)" in body
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', body).group(1)
    form = {"key": key, f"packs-{line_id}": "2", "note": "Delivery note 77"}
    response = client.post(f"{page}/receive", data=form)
    assert response.status_code == 303
    body = client.get(page).get_data(as_text=True)
    assert f"Received 24 units into stock. {number} is partially received." in body
    assert "2 packs (24 units) of" in body and "Delivery note 77" in body
    # The same form again: one receipt.
    client.post(f"{page}/receive", data=form)
    with tenant_context(shop_a):
        assert get_purchase_order(po_id).lines[0].quantity_received == 2


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("abc", 422, "Enter a whole number."),
        ("99999999999999999999999", 422, "Enter a whole number from 0"),
        ("-2", 422, "Enter a whole number from 0"),
        ("\x00", 400, "control character"),
        ("4", 409, "at most 3 more can be received"),
        ("", 409, "Enter how many packs arrived"),
    ],
)
def test_the_receive_form_keeps_what_was_typed(
    client, shop_a, owner, no_csrf, typed, status, message
):
    po_id, line_id, _ = committed_sent(shop_a, packs=3)
    response = client.post(
        f"/shop/shop-a/admin/purchasing/orders/{po_id}/receive",
        data={"key": "c" * 32, f"packs-{line_id}": typed},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in body
    if typed.isdigit():
        assert f'value="{typed}"' in body
    with tenant_context(shop_a):
        assert get_purchase_order(po_id).lines[0].quantity_received == 0
