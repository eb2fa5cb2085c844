"""Drop-ship POs of an order the customer no longer gets: a cancelled order, or every unit of
a PO's lines refunded, cancels the PO (once, whatever replays) and emails its vendor a short
notice; a PO that already shipped something is left to staff, with a note on the order."""

from __future__ import annotations

import re
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders.models import Order, OrderEvent
from mall.orders.refunds import RefundRequest, cancel_paid_order, refund_order
from mall.signals import order_cancelled, order_refunded
from tenants.context import tenant_context
from tests.crawl.vendor_link import make_variant, make_vendor, supply
from tests.support.mail import clear_outbox, sent, sent_to, text_of
from tests.vendors.test_dropship import lines_of, paid_order, pos_of, ship
from vendors.models import PurchaseOrder, PurchaseStatus, Vendor
from vendors.vendor_link import cancellation, tokens

ACME, ZENITH = "orders@acme.example", "orders@zenith.example"


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


@pytest.fixture
def catalog(shop_a):
    """Shop A: a lamp drop-shipped by Acme, a vase by Zenith, a mug from the shop's stock."""
    with tenant_context(shop_a):
        acme, zenith = make_vendor("Acme Supplies"), make_vendor("Zenith Goods")
        lamp, vase = make_variant(title="Brass lamp"), make_variant(title="Glass vase")
        mug = make_variant(title="Stoneware mug")
        supply(acme, lamp, vendor_sku="ACME-LAMP")
        supply(zenith, vase, vendor_sku="ZEN-VASE")
        made = SimpleNamespace(acme=acme.id, zenith=zenith.id, lamp=lamp, vase=vase, mug=mug)
        db.session.commit()
    return made


def order_of(shop, order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, (shop.id, order_id))


def refund(shop, order_id, units_by_line: dict) -> None:
    with tenant_context(shop):
        refund_order(
            order_of(shop, order_id),
            RefundRequest(quantities=units_by_line, reason="Changed their mind"),
            actor_id=None,
            key=uuid4().hex,
        )
        db.session.commit()


def statuses(shop, order_id) -> dict[str, PurchaseStatus]:
    with tenant_context(shop):
        return {po.number: po.status for po in pos_of(order_id)}


def notes(shop, order_id) -> list[str]:
    """The order's staff notes about withdrawing its drop-ship POs."""
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(OrderEvent.message)
                .where(
                    OrderEvent.order_id == order_id,
                    OrderEvent.kind == "dropship",
                    OrderEvent.message.startswith("Drop-ship PO "),
                )
                .order_by(OrderEvent.created_at, OrderEvent.id)
            )
        )


def cancellations(app) -> list:
    return [mail for mail in sent(app) if "is cancelled" in mail["Subject"]]


def link_paths(shop, order_id) -> list[str]:
    with tenant_context(shop):
        return [
            re.sub(r"^https?://[^/]+", "", tokens.vendor_link_url(po)) for po in pos_of(order_id)
        ]


def test_a_cancelled_order_cancels_its_drop_ship_pos_and_tells_each_vendor(
    client, shop_a, catalog, outbox
):
    order = paid_order(shop_a, [(catalog.lamp, 2), (catalog.vase, 1), (catalog.mug, 1)])
    paths = link_paths(shop_a, order.id)
    assert all(client.get(path).status_code == 200 for path in paths)
    clear_outbox(outbox)
    with tenant_context(shop_a):
        assert cancel_paid_order(
            order_of(shop_a, order.id), actor_id=None, reason="Customer called", key="c1"
        )
        db.session.commit()
    assert set(statuses(shop_a, order.id).values()) == {PurchaseStatus.CANCELLED}
    (acme_mail,) = sent_to(outbox, ACME)
    (zenith_mail,) = sent_to(outbox, ZENITH)
    text = text_of(acme_mail)
    assert "is cancelled" in acme_mail["Subject"] and "Please do not ship it" in text
    assert "ACME-LAMP" in text and "ZEN-VASE" not in text and "Stoneware mug" not in text
    html = acme_mail.get_body(preferencelist=("html",)).get_content()
    assert "Brass lamp" in html and "Carol" not in html and "Elm Street" not in html
    assert "Glass vase" in text_of(zenith_mail)
    assert all(client.get(path).status_code == 404 for path in paths)  # the links stop
    acme_number, zenith_number = sorted(statuses(shop_a, order.id))
    assert notes(shop_a, order.id) == [
        f"Drop-ship PO {acme_number} cancelled and the vendor told: "
        "the customer no longer needs it.",
        f"Drop-ship PO {zenith_number} cancelled and the vendor told: "
        "the customer no longer needs it.",
    ]
    # Replays of both signals change nothing: no second notice, no second note.
    with tenant_context(shop_a):
        found = order_of(shop_a, order.id)
        order_cancelled.send(found)
        order_refunded.send(found, refund_id=uuid4(), amount=0, lines=(), full=True)
        assert cancellation.withdraw_drop_ship_pos(found, whole_order=True) == []
        db.session.commit()
    assert len(cancellations(outbox)) == 2 and len(notes(shop_a, order.id)) == 2


def test_refunding_every_unit_of_one_vendors_lines_cancels_that_po_only(shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 2), (catalog.vase, 2)])
    lamp_line, vase_line = order.line_ids
    clear_outbox(outbox)
    refund(shop_a, order.id, {vase_line: 1})  # half of Zenith's units: its PO stands
    refund(shop_a, order.id, {lamp_line: 1})
    assert set(statuses(shop_a, order.id).values()) == {PurchaseStatus.SENT}
    assert cancellations(outbox) == []
    refund(shop_a, order.id, {lamp_line: 1})  # now every lamp is refunded
    with tenant_context(shop_a):
        acme_po, zenith_po = pos_of(order.id)
        assert acme_po.status is PurchaseStatus.CANCELLED and acme_po.cancelled_at is not None
        assert zenith_po.status is PurchaseStatus.SENT
    (mail,) = cancellations(outbox)
    assert mail["To"] == ACME
    refund(shop_a, order.id, {vase_line: 1})
    assert set(statuses(shop_a, order.id).values()) == {PurchaseStatus.CANCELLED}
    assert [mail["To"] for mail in cancellations(outbox)] == [ACME, ZENITH]


def test_a_partly_shipped_po_stays_and_staff_are_told_once(client, shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 3)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        (line,) = lines_of(po)
        po_id, po_line_id, number = po.id, line.id, po.number
    ship(shop_a, po_id, {po_line_id: 1})  # the vendor sent one lamp
    clear_outbox(outbox)
    refund(shop_a, order.id, {order.line_ids[0]: 3})
    with tenant_context(shop_a):
        order_refunded.send(order_of(shop_a, order.id), refund_id=uuid4(), lines=(), full=True)
        db.session.commit()
    assert statuses(shop_a, order.id) == {number: PurchaseStatus.PARTIALLY_RECEIVED}
    assert notes(shop_a, order.id) == [
        f"Drop-ship PO {number} was partly shipped: tell the vendor."
    ]
    assert cancellations(outbox) == []


def test_a_fully_shipped_po_whose_units_came_back_is_noted_not_cancelled(shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        po_id, po_line_id, number = po.id, lines_of(po)[0].id, po.number
    ship(shop_a, po_id, {po_line_id: 1})
    refund(shop_a, order.id, {order.line_ids[0]: 1})
    assert statuses(shop_a, order.id) == {number: PurchaseStatus.RECEIVED}
    assert notes(shop_a, order.id) == [f"Drop-ship PO {number} was shipped: tell the vendor."]


def test_a_draft_po_the_vendor_never_got_is_cancelled_without_a_mail(shop_a, outbox):
    with tenant_context(shop_a):
        quiet = make_vendor("Quiet Crafts", email=None)
        lamp = make_variant(title="Clay lamp")
        supply(quiet, lamp, vendor_sku="Q-LAMP")
        db.session.commit()
    order = paid_order(shop_a, [(lamp, 1)])
    (number,) = statuses(shop_a, order.id)
    assert statuses(shop_a, order.id)[number] is PurchaseStatus.DRAFT
    clear_outbox(outbox)
    with tenant_context(shop_a):
        cancel_paid_order(order_of(shop_a, order.id), actor_id=None, reason="Gone", key="c2")
        db.session.commit()
    assert statuses(shop_a, order.id) == {number: PurchaseStatus.CANCELLED}
    assert cancellations(outbox) == []
    assert f"Drop-ship PO {number} cancelled: the customer no longer needs it." in notes(
        shop_a, order.id
    )


def test_the_notice_job_takes_ids_and_mails_only_a_cancelled_po(shop_a, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_a):
        (po,) = pos_of(order.id)
        po_id = po.id
    clear_outbox(outbox)
    with tenant_context(shop_a):
        cancellation.send_po_cancellation(str(po_id))  # still sent: nothing to say
        cancellation.send_po_cancellation(str(uuid4()))  # no such PO
    assert cancellations(outbox) == []
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.id == po_id)
            .values(status=PurchaseStatus.CANCELLED)
        )
        vendor = db.session.get(Vendor, (shop_a.id, catalog.acme))
        vendor.email = None  # the vendor's address was removed meanwhile
        db.session.commit()
        cancellation.send_po_cancellation(str(po_id))
    assert cancellations(outbox) == []


def test_another_shops_order_cancelling_leaves_shop_as_pos_alone(shop_a, shop_b, catalog, outbox):
    order = paid_order(shop_a, [(catalog.lamp, 1)])
    with tenant_context(shop_b):
        lamp = make_variant(title="Shop B lamp")
        supply(make_vendor("B Supplies"), lamp)
        db.session.commit()
    other = paid_order(shop_b, [(lamp, 1)])
    with tenant_context(shop_b):
        cancel_paid_order(order_of(shop_b, other.id), actor_id=None, reason="Gone", key="c3")
        db.session.commit()
    assert set(statuses(shop_a, order.id).values()) == {PurchaseStatus.SENT}
    assert set(statuses(shop_b, other.id).values()) == {PurchaseStatus.CANCELLED}
