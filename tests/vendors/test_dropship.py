"""Drop-ship: a paid order's drop-ship lines make one PO per vendor (exactly once, whatever
replays), each with only its own lines and the customer's address sealed on it; the vendor's
parcel becomes a shipment of exactly its units, with no stock movement."""

from __future__ import annotations

import re
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockMovement, Variant
from mall.extensions import db
from mall.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Shipment
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_link
from mall.signals import order_paid
from tenants.context import tenant_context
from tests.crawl.vendor_link import make_variant, make_vendor, place_lines_order, supply
from tests.support.mail import clear_outbox, sent_to, text_of
from vendors.errors import PurchasingError
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseStatus,
)
from vendors.vendor_link import dropship
from vendors.vendor_link.confirmations import record_vendor_reply


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def paid_order(shop, items, **kw) -> SimpleNamespace:
    """A committed, paid order of ``shop`` for ``items`` ((variant, quantity) pairs)."""
    with tenant_context(shop):
        order = place_lines_order(shop, items, **kw)
        assert mark_order_paid(order, note="Paid in the test.")
        made = SimpleNamespace(
            id=order.id, number=order.number, line_ids=[line.id for line in order.lines]
        )
        db.session.commit()
        made.tracking_path = re.sub(r"^https?://[^/]+", "", tracking_link(order))
    return made


def pos_of(order_id) -> list[PurchaseOrder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.order_id == order_id)
            .order_by(PurchaseOrder.number)
        )
    )


def lines_of(po) -> list[PurchaseOrderLine]:
    return list(
        db.session.scalars(
            sa.select(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == po.id)
            .order_by(PurchaseOrderLine.position)
        )
    )


@pytest.fixture
def catalog(shop_a):
    """Shop A: a lamp drop-shipped by Acme, a vase by Zenith, a mug from the shop's stock."""
    with tenant_context(shop_a):
        acme, zenith = make_vendor("Acme Supplies"), make_vendor("Zenith Goods")
        lamp = make_variant(title="Brass lamp")
        vase = make_variant(title="Glass vase")
        mug = make_variant(title="Stoneware mug")
        supply(acme, lamp, vendor_sku="ACME-LAMP")
        supply(zenith, vase, vendor_sku="ZEN-VASE")
        supply(acme, mug, drop_ship=False)
        made = SimpleNamespace(
            acme=acme.id, zenith=zenith.id, lamp=lamp, vase=vase, mug=mug, shop=shop_a
        )
        db.session.commit()
    return made


def test_a_paid_order_makes_one_sent_po_per_drop_ship_vendor(shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 2), (catalog.vase, 1), (catalog.mug, 3)])
    with tenant_context(shop_a):
        acme_po, zenith_po = pos_of(order.id)
        assert (acme_po.vendor_id, zenith_po.vendor_id) == (catalog.acme, catalog.zenith)
        for po in (acme_po, zenith_po):
            assert po.drop_ship and po.status is PurchaseStatus.SENT
        acme_lines, zenith_lines = lines_of(acme_po), lines_of(zenith_po)
        # Each vendor's PO carries only its own drop-ship lines; the mug ships from stock.
        assert [(line.vendor_sku, line.quantity_ordered) for line in acme_lines] == [
            ("ACME-LAMP", 2)
        ]
        assert [(line.vendor_sku, line.quantity_ordered) for line in zenith_lines] == [
            ("ZEN-VASE", 1)
        ]
        assert acme_lines[0].order_line_id == order.line_ids[0]
        assert zenith_lines[0].order_line_id == order.line_ids[1]
    # Each vendor is mailed its own PO, with the customer's address and only its lines.
    (mail,) = sent_to(outbox, "orders@acme.example")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Carol Customer" in html and "12 Elm Street" in html
    assert "Brass lamp" in html and "Glass vase" not in html and "Stoneware mug" not in html
    assert "/vendor/po/" in text_of(mail)  # the vendor's link
    (pdf,) = [part for part in mail.iter_attachments() if part.get_content_type().endswith("pdf")]
    assert pdf.get_content().startswith(b"%PDF")
    (other,) = sent_to(outbox, "orders@zenith.example")
    assert "Glass vase" in other.get_body(preferencelist=("html",)).get_content()


def test_replayed_payment_events_make_no_second_po(shop_a, catalog):
    order = paid_order(shop_a, [(catalog.lamp, 1), (catalog.vase, 2)])
    with tenant_context(shop_a):
        found = db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()
        order_paid.send(found)  # the signal again (a replayed webhook)
        order_paid.send(found)
        dropship.on_order_paid(found)  # and the subscriber called directly
        assert dropship.create_drop_ship_pos(found) == []
        assert not mark_order_paid(found)  # paying again announces nothing
        db.session.commit()
        pos = pos_of(order.id)
        assert len(pos) == 2
        # No number was taken and lost by the replays: the series is gap-free.
        assert sorted(po.number.rsplit("-", 1)[1] for po in pos) == ["1", "2"]


def test_a_replay_that_loses_the_race_at_the_unique_index_does_nothing(
    shop_a, catalog, monkeypatch
):
    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_a):
        found = db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()
        # Another process got past the "already there?" read at the same moment: the first
        # read misses its row, the insert meets the unique index.
        real, reads = dropship._existing, []

        def late_read(order, vendor):
            reads.append(vendor.id)
            return None if len(reads) == 1 else real(order, vendor)

        monkeypatch.setattr(dropship, "_existing", late_read)
        assert dropship.create_drop_ship_pos(found) == []
        assert len(reads) == 2  # the miss, then the look after the refused insert
        db.session.commit()
        assert len(pos_of(order.id)) == 1
        # The paying transaction survived: the order is still paid.
        assert db.session.get(Order, (shop_a.id, order.id)).status is OrderStatus.PAID


def test_the_preferred_vendor_wins_else_the_first_by_name(shop_a):
    with tenant_context(shop_a):
        basic, zeta, alpha = make_vendor("Basic Co"), make_vendor("Zeta"), make_vendor("Alpha")
        lamp, vase = make_variant(), make_variant()
        supply(zeta, lamp, preferred=True)
        supply(basic, lamp)
        supply(zeta, vase)
        supply(alpha, vase)
        db.session.commit()
        ids = SimpleNamespace(zeta=zeta.id, alpha=alpha.id)
    order = paid_order(shop_a, [(lamp, 1), (vase, 1)])
    with tenant_context(shop_a):
        assert sorted(po.vendor_id for po in pos_of(order.id)) == sorted([ids.zeta, ids.alpha])


def test_an_archived_vendor_drop_ships_nothing(shop_a, catalog):
    from vendors.models import Vendor, VendorStatus

    with tenant_context(shop_a):
        db.session.get(Vendor, (shop_a.id, catalog.zenith)).status = VendorStatus.ARCHIVED
        db.session.commit()
    order = paid_order(shop_a, [(catalog.vase, 1)])
    with tenant_context(shop_a):
        assert pos_of(order.id) == []


def test_a_vendor_without_email_leaves_a_draft_and_a_note_never_a_failed_payment(shop_a):
    with tenant_context(shop_a):
        vendor, variant = make_vendor("Quiet Co", email=None), make_variant()
        supply(vendor, variant)
        db.session.commit()
    order = paid_order(shop_a, [(variant, 1)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        assert po.status is PurchaseStatus.DRAFT
        notes = db.session.scalars(
            sa.select(OrderEvent.message).where(
                OrderEvent.order_id == order.id, OrderEvent.kind == "dropship"
            )
        ).all()
        assert any("Quiet Co has no email address" in note for note in notes)
        assert db.session.get(Order, (shop_a.id, order.id)).status is OrderStatus.PAID


def test_the_ship_to_address_is_sealed_in_the_database(app, shop_a, catalog):
    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        po_id = po.id
        assert "Carol Customer" in po.ship_to_json and "12 Elm Street" in po.ship_to_json
        raw = db.session.execute(
            sa.text("SELECT ship_to FROM purchase_orders WHERE id = :id"),
            {"id": po_id if db.engine.dialect.name == "postgresql" else po_id.hex},
        ).scalar_one()
    assert raw and b"Carol" not in bytes(raw) and b"Elm" not in bytes(raw)


def test_the_vendor_document_carries_the_ship_to_address(shop_a, catalog):
    from vendors.purchasing.rendering import po_html

    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        html = po_html(po, pdf=True)
    assert "Carol Customer" in html and "12 Elm Street" in html and "Springfield" in html


# ---------------------------------------------------------------- the vendor's parcel


def ship(shop, po_id, units_by_line, *, key=None, tracking="1Z999AA10123456784"):
    with tenant_context(shop):
        po = db.session.get(PurchaseOrder, (shop.id, po_id))
        outcome = record_vendor_reply(
            po,
            expected_on=None,
            carrier="ups",
            tracking_number=tracking,
            shipped=units_by_line,
            form_key=key or uuid4().hex,
        )
        made = SimpleNamespace(
            repeat=outcome.repeat,
            confirmed_now=outcome.confirmed_now,
            shipment_id=outcome.shipment.id if outcome.shipment else None,
        )
        db.session.commit()
        return made


def test_a_partial_parcel_ships_only_its_units_and_no_stock_moves(client, shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 3)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        (line,) = lines_of(po)
        po_id, line_id = po.id, line.id
        movements = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    clear_outbox(outbox)
    outcome = ship(shop_a, po_id, {line_id: 1})
    with tenant_context(shop_a):
        db.session.expire_all()
        found = db.session.get(Order, (shop_a.id, order.id))
        assert found.status is OrderStatus.PARTIALLY_FULFILLED  # never "all lines"
        order_line = db.session.get(OrderLine, (shop_a.id, order.line_ids[0]))
        assert order_line.quantity_shipped == 1
        po = db.session.get(PurchaseOrder, (shop_a.id, po_id))
        assert po.status is PurchaseStatus.PARTIALLY_RECEIVED
        assert po.vendor_confirmed_at is not None and po.tracking_number == "1Z999AA10123456784"
        assert db.session.get(PurchaseOrderLine, (shop_a.id, line_id)).quantity_received == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == (
            movements
        )
        (receipt,) = db.session.scalars(sa.select(PurchaseReceipt)).all()
        assert receipt.lines[0].units == 1
        assert outcome.shipment_id is not None
    # The customer is emailed, and their tracking page shows the parcel and its link.
    (mail,) = sent_to(outbox, "carol@example.com")
    assert "1Z999AA10123456784" in text_of(mail)
    page = client.get(order.tracking_path).get_data(as_text=True)
    assert "1Z999AA10123456784" in page
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in page
    assert "Partly shipped" in page
    # The rest follows in a second parcel: the PO is received, the order fulfilled.
    ship(shop_a, po_id, {line_id: 2}, tracking="1Z999AA10123456785")
    with tenant_context(shop_a):
        db.session.expire_all()
        assert db.session.get(PurchaseOrder, (shop_a.id, po_id)).status is PurchaseStatus.RECEIVED
        assert db.session.get(Order, (shop_a.id, order.id)).status is OrderStatus.FULFILLED
    assert "1Z999AA10123456785" in client.get(order.tracking_path).get_data(as_text=True)


def test_the_same_form_twice_is_one_shipment(shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 3)])
    with tenant_context(shop_a):
        ((po_id, line_id),) = [(po.id, lines_of(po)[0].id) for po in pos_of(order.id)]
    clear_outbox(outbox)
    key = uuid4().hex
    first = ship(shop_a, po_id, {line_id: 2}, key=key)
    again = ship(shop_a, po_id, {line_id: 2}, key=key)
    assert again.repeat and again.shipment_id == first.shipment_id
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
        assert db.session.get(PurchaseOrderLine, (shop_a.id, line_id)).quantity_received == 2
    assert len(sent_to(outbox, "carol@example.com")) == 1


def test_over_shipping_is_refused_with_what_is_left(shop_a, catalog):
    order = paid_order(shop_a, [(catalog.lamp, 3)])
    with tenant_context(shop_a):
        ((po_id, line_id),) = [(po.id, lines_of(po)[0].id) for po in pos_of(order.id)]
    ship(shop_a, po_id, {line_id: 2})
    with pytest.raises(PurchasingError, match=r"Only 1 unit of “Brass lamp [^”]*” is left to ship"):
        ship(shop_a, po_id, {line_id: 2})
    db.session.rollback()
    with tenant_context(shop_a):
        db.session.expire_all()
        assert db.session.get(PurchaseOrderLine, (shop_a.id, line_id)).quantity_received == 2
        assert db.session.get(OrderLine, (shop_a.id, order.line_ids[0])).quantity_shipped == 2


def test_a_line_of_another_po_is_refused(shop_a, catalog):
    order = paid_order(shop_a, [(catalog.lamp, 1), (catalog.vase, 1)])
    with tenant_context(shop_a):
        acme_po, zenith_po = pos_of(order.id)
        acme_id, zenith_line = acme_po.id, lines_of(zenith_po)[0].id
    with pytest.raises(PurchasingError, match="not part of"):
        ship(shop_a, acme_id, {zenith_line: 1})
    db.session.rollback()


def test_a_checkout_through_the_pages_sends_the_vendor_its_po(
    client, app, shop_a, outbox, monkeypatch
):
    from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    stocked = stock_shop(shop_a, title="Copper kettle")
    with tenant_context(shop_a):
        vendor = make_vendor("Kettle Works")
        supply(vendor, db.session.get(Variant, (shop_a.id, stocked.variant_id)))
        db.session.commit()
    add_to_cart(client, stocked.variant_id, 2)
    response = place(client, fill_checkout(client))
    assert "/checkout/thanks/" in response.headers["Location"]
    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        ((po, (line,)),) = [(po, lines_of(po)) for po in pos_of(order.id)]
        assert po.status is PurchaseStatus.SENT and line.quantity_ordered == 2
        assert "Ada Lovelace" in po.ship_to_json and "NW1 5LR" in po.ship_to_json
    (mail,) = sent_to(outbox, "orders@kettle.example")
    assert "Ada Lovelace" in mail.get_body(preferencelist=("html",)).get_content()


def test_the_shops_order_page_says_the_vendor_shipped(client, shop_a, catalog, member_of_a):
    order = paid_order(shop_a, [(catalog.lamp, 2)])
    with tenant_context(shop_a):
        ((po_id, number, line_id),) = [
            (po.id, po.number, lines_of(po)[0].id) for po in pos_of(order.id)
        ]
    ship(shop_a, po_id, {line_id: 2})
    html = client.get(f"/shop/shop-a/admin/orders/{order.id}").get_data(as_text=True)
    assert f"Shipped by the vendor of {number} (drop-ship)." in html
    assert "1Z999AA10123456784" in html
