"""The purchase order's state machine and its drafts: gap-free numbers, what a draft line
snapshots, every move (once on a double click) and every refused move with its message."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.numbers import MAX_COUNT
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.purchasing import draft_po, make_variant, make_vendor, supply
from tests.support.committed import committed_app_fixture, needs_committed_pg
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus, VendorStatus
from vendors.purchasing import drafts
from vendors.purchasing.lifecycle import cancel_purchase_order, close_purchase_order
from vendors.purchasing.numbers import take_purchase_number
from vendors.purchasing.receiving import close_short, receive
from vendors.purchasing.services import (
    PoLineInput,
    create_purchase_order,
    get_purchase_order,
    get_vendor,
    mark_sent,
    send_purchase_order,
)

S = PurchaseStatus


def sent_po(shop, packs: int = 4):
    po = draft_po(shop, packs=packs)
    mark_sent(po, actor_id=None)
    return po


def take(po, packs: int, key: str):
    return receive(po, quantities={po.lines[0].id: packs}, receipt_key=key, actor_id=None)


# ---------------------------------------------------------------- numbers


def test_numbers_have_no_gaps_per_shop_and_series(shop_a, shop_b):
    with tenant_context(shop_a):
        assert draft_po(shop_a).number == "SHOPA-PO-1"
        db.session.commit()
        nested = db.session.begin_nested()
        assert draft_po(shop_a).number == "SHOPA-PO-2"
        nested.rollback()  # a refused creation gives its number back
        assert draft_po(shop_a).number == "SHOPA-PO-2"
        assert take_purchase_number(shop_a, "bill") == "SHOPA-BILL-1"
        assert take_purchase_number(shop_a, "credit") == "SHOPA-VCN-1"
        db.session.commit()
    with tenant_context(shop_b):
        assert draft_po(shop_b).number == "SHOPB-PO-1"


# ---------------------------------------------------------------- drafts


def test_a_line_snapshots_the_vendor_product(shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        variant = make_variant(shop_a, title="Espresso cups")
        supply(vendor, variant, pack_size=12, unit_cost=3000, vendor_sku="AC-CUP")
        po = create_purchase_order(
            vendor, lines=[PoLineInput(variant.id, 2)], actor_id=None, note="  Dock 4 \x00"
        )
        [line] = po.lines
        assert (line.description, line.sku, line.vendor_sku) == (
            "Espresso cups",
            variant.sku,
            "AC-CUP",
        )
        assert (line.pack_size, line.unit_cost, line.quantity_ordered) == (12, 3000, 2)
        assert po.status is S.DRAFT and po.currency == "USD" and po.note == "Dock 4"
        other = create_purchase_order(
            vendor, lines=[PoLineInput(variant.id, 1, unit_cost=2500)], actor_id=None
        )
        assert other.lines[0].unit_cost == 2500


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_supplied", "does not supply that product"),
        ("archived", "is archived"),
        ("below_minimum", "takes orders of at least 3 packs"),
        ("zero", "Enter a whole number from 1"),
        ("huge", "Enter a whole number from 1"),
        ("huge_cost", "Enter an amount of at most"),
        ("twice", "appears once"),
        ("long_note", "under 1000 characters"),
    ],
)
def test_a_draft_is_refused_with_a_message(shop_a, case, message):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        variant = make_variant(shop_a)
        supply(vendor, variant, min_order_packs=3 if case == "below_minimum" else 1)
        lines = [PoLineInput(variant.id, 3)]
        note = ""
        if case == "not_supplied":
            lines = [PoLineInput(make_variant(shop_a).id, 3)]
        elif case == "archived":
            vendor.status = VendorStatus.ARCHIVED
        elif case == "below_minimum":
            lines = [PoLineInput(variant.id, 2)]
        elif case == "zero":
            lines = [PoLineInput(variant.id, 0)]
        elif case == "huge":
            lines = [PoLineInput(variant.id, MAX_COUNT + 1)]
        elif case == "huge_cost":
            lines = [PoLineInput(variant.id, 1, unit_cost=10**20)]
        elif case == "twice":
            lines = [PoLineInput(variant.id, 3), PoLineInput(variant.id, 4)]
        elif case == "long_note":
            note = "x" * 1001
        with pytest.raises(PurchasingError, match=message):
            create_purchase_order(vendor, lines=lines, actor_id=None, note=note)


def test_another_shops_variant_is_not_supplied(shop_a, shop_b):
    with tenant_context(shop_b):
        theirs = make_variant(shop_b).id
        db.session.commit()
    with (
        tenant_context(shop_a),
        pytest.raises(PurchasingError, match="does not supply that product"),
    ):
        create_purchase_order(make_vendor(shop_a), lines=[PoLineInput(theirs, 1)], actor_id=None)


def test_draft_lines_change_add_and_go_only_after_confirmation(shop_a):
    with tenant_context(shop_a):
        po = draft_po(shop_a, packs=2)
        [first] = po.lines
        second_variant = make_variant(shop_a)
        from vendors.purchasing.services import get_vendor

        supply(get_vendor(po.vendor_id), second_variant, unit_cost=100)
        added = drafts.add_line(po, PoLineInput(second_variant.id, 5), actor_id=None)
        assert added.position == 1 and len(po.lines) == 2
        again = drafts.add_line(po, PoLineInput(second_variant.id, 5), actor_id=None)
        assert again.id == added.id and len(po.lines) == 2  # a double click
        with pytest.raises(PurchasingError, match="already: change its packs"):
            drafts.add_line(po, PoLineInput(second_variant.id, 1), actor_id=None)
        changes = {
            first.id: drafts.LineChange(packs=0, unit_cost=500),
            added.id: drafts.LineChange(packs=7, unit_cost=90),
        }
        assert drafts.removals(po, changes) == [first]
        with pytest.raises(PurchasingError, match=f"Confirm removing {first.description}"):
            drafts.update_lines(po, changes, actor_id=None)
        assert drafts.update_lines(po, changes, actor_id=None, confirmed=True) == 2
        [line] = po.lines
        assert (line.quantity_ordered, line.unit_cost) == (7, 90)
        drafts.update_note(po, "Ring first", actor_id=None)
        assert po.note == "Ring first"


def test_only_a_draft_is_edited(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a)
        line = po.lines[0]
        refused = f"{po.number} is sent: only a draft can be changed."
        with pytest.raises(PurchasingError, match=refused):
            drafts.update_lines(po, {line.id: drafts.LineChange(9, 1)}, actor_id=None)
        with pytest.raises(PurchasingError, match=refused):
            drafts.update_note(po, "late", actor_id=None)
        with pytest.raises(PurchasingError, match=refused):
            drafts.add_line(po, PoLineInput(line.variant_id, 1), actor_id=None)


# ---------------------------------------------------------------- moves


def test_the_whole_way_draft_sent_partially_received_received_closed(shop_a):
    with tenant_context(shop_a):
        po = draft_po(shop_a, packs=4)
        assert po.status is S.DRAFT
        assert mark_sent(po, actor_id=None) and po.status is S.SENT
        take(po, 1, "k1")
        assert po.status is S.PARTIALLY_RECEIVED
        take(po, 3, "k2")
        assert po.status is S.RECEIVED
        assert close_purchase_order(po, actor_id=None) is True
        assert po.status is S.CLOSED and po.closed_at is not None
        assert close_purchase_order(po, actor_id=None) is False  # a double click


@pytest.mark.parametrize("sent", [False, True])
def test_cancel_a_draft_or_a_sent_po_once(shop_a, sent):
    with tenant_context(shop_a):
        po = sent_po(shop_a) if sent else draft_po(shop_a)
        assert cancel_purchase_order(po, actor_id=None) is True
        assert po.status is S.CANCELLED and po.cancelled_at is not None
        assert cancel_purchase_order(po, actor_id=None) is False


def test_cancel_is_refused_once_anything_arrived_or_was_billed(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a)
        take(po, 1, "k1")
        with pytest.raises(
            PurchasingError,
            match=f"{po.number} is partially received: only a draft or a sent purchase order "
            "with nothing received can be cancelled.",
        ):
            cancel_purchase_order(po, actor_id=None)
        billed = sent_po(shop_a)
        db.session.execute(
            sa.update(PurchaseOrderLine)
            .where(PurchaseOrderLine.po_id == billed.id)
            .values(quantity_billed=1)
        )
        db.session.expire(billed.lines[0])
        with pytest.raises(PurchasingError, match=f"{billed.number} is sent and was billed"):
            cancel_purchase_order(billed, actor_id=None)
        assert billed.status is S.SENT


def test_close_short_marks_the_rest_closed(shop_a):
    with tenant_context(shop_a):
        po = sent_po(shop_a, packs=5)
        take(po, 3, "k1")
        assert close_short(po, actor_id=None) is True
        assert po.status is S.CLOSED
        line = po.lines[0]
        assert (line.quantity_received, line.quantity_closed) == (3, 2)
        assert close_short(po, actor_id=None) is False


REFUSALS = [
    # (state, action, the end of the message)
    ("draft", "close", "is draft: only a received purchase order can be closed."),
    ("draft", "close_short", "is draft: only a sent purchase order can be closed short."),
    ("draft", "receive", "is draft: only a sent purchase order can be received."),
    ("draft", "resend", "is draft: only a sent purchase order can be sent again."),
    ("sent", "close", "is sent: only a received purchase order can be closed."),
    ("sent", "edit", "is sent: only a draft can be changed."),
    ("received", "cancel", "is received: only a draft or a sent purchase order"),
    ("received", "close_short", "is received: only a sent purchase order can be closed short."),
    ("received", "receive", "is received: only a sent purchase order can be received."),
    ("received", "send", "is received: only a draft can be sent."),
    ("closed", "receive", "is closed: only a sent purchase order can be received."),
    ("closed", "resend", "is closed: only a sent purchase order can be sent again."),
    ("closed", "cancel", "is closed: only a draft or a sent purchase order"),
    ("cancelled", "send", "is cancelled: only a draft can be sent."),
    ("cancelled", "receive", "is cancelled: only a sent purchase order can be received."),
    ("cancelled", "close_short", "is cancelled: only a sent purchase order can be closed short."),
    ("cancelled", "close", "is cancelled: only a received purchase order can be closed."),
]


def po_in(shop, state: str):
    po = draft_po(shop, packs=2)
    if state == "draft":
        return po
    if state == "cancelled":
        cancel_purchase_order(po, actor_id=None)
        return po
    mark_sent(po, actor_id=None)
    if state in ("received", "closed"):
        take(po, 2, f"k-{state}")
    if state == "closed":
        close_purchase_order(po, actor_id=None)
    return po


def act(po, action: str) -> None:
    if action == "close":
        close_purchase_order(po, actor_id=None)
    elif action == "close_short":
        close_short(po, actor_id=None)
    elif action == "receive":
        take(po, 1, "k-refused")
    elif action == "resend":
        send_purchase_order(po, actor_id=None, link_version=po.link_version)
    elif action == "send":
        send_purchase_order(po, actor_id=None)
    elif action == "cancel":
        cancel_purchase_order(po, actor_id=None)
    elif action == "edit":
        drafts.update_note(po, "x", actor_id=None)


@pytest.mark.parametrize(("state", "action", "message"), REFUSALS)
def test_every_refused_move_names_the_po_and_its_state(shop_a, state, action, message):
    with tenant_context(shop_a):
        po = po_in(shop_a, state)
        with pytest.raises(PurchasingError) as refused:
            act(po, action)
        assert str(refused.value).startswith(f"{po.number} {message}")
        assert po.status.value == state  # nothing moved


# ---------------------------------------------------------------- PostgreSQL, real commits

committed_app = committed_app_fixture()
WORKERS = 8


def _race(app, work, count: int) -> list[BaseException]:
    ready = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with app.app_context():
                ready.wait(timeout=60)
                work(index)
                db.session.commit()
        except BaseException as error:  # surfaced by the caller
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _shop(app):
    with app.app_context():
        shop = create_shop(f"po-{uuid4().hex[:8]}", name="Race", status=TenantStatus.ACTIVE)
        db.session.commit()
        with tenant_context(shop):
            vendor = make_vendor(shop)
            variant = make_variant(shop)
            supply(vendor, variant)
            db.session.commit()
            return shop.id, vendor.id, variant.id


@needs_committed_pg
def test_pos_made_at_once_get_consecutive_numbers(committed_app):
    shop_id, vendor_id, variant_id = _shop(committed_app)

    def create(_: int) -> None:
        with tenant_context(shop_id):
            create_purchase_order(
                get_vendor(vendor_id), lines=[PoLineInput(variant_id, 1)], actor_id=None
            )

    assert _race(committed_app, create, WORKERS) == []
    with committed_app.app_context(), tenant_context(shop_id):
        numbers = db.session.scalars(sa.select(PurchaseOrder.number)).all()
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, WORKERS + 1))


@needs_committed_pg
def test_receipts_at_once_never_pass_the_limit(committed_app):
    shop_id, vendor_id, variant_id = _shop(committed_app)
    with committed_app.app_context(), tenant_context(shop_id):
        po = create_purchase_order(
            get_vendor(vendor_id), lines=[PoLineInput(variant_id, 10)], actor_id=None
        )
        mark_sent(po, actor_id=None)
        db.session.commit()
        po_id, line_id = po.id, po.lines[0].id

    def receive_six(index: int) -> None:
        with tenant_context(shop_id):
            receive(
                get_purchase_order(po_id),
                quantities={line_id: 6},
                receipt_key=f"race-{index}",
                actor_id=None,
            )

    errors = _race(committed_app, receive_six, 4)
    assert len(errors) == 3 and all("at most 4 more" in str(e) for e in errors)
    with committed_app.app_context(), tenant_context(shop_id):
        po = get_purchase_order(po_id)
        assert po.lines[0].quantity_received == 6 and po.status is S.PARTIALLY_RECEIVED
        variant = db.session.get(Variant, (shop_id, variant_id))
        assert variant.stock_quantity == 6


@needs_committed_pg
def test_one_form_submitted_twice_at_once_is_one_receipt(committed_app):
    shop_id, vendor_id, variant_id = _shop(committed_app)
    with committed_app.app_context(), tenant_context(shop_id):
        po = create_purchase_order(
            get_vendor(vendor_id), lines=[PoLineInput(variant_id, 3)], actor_id=None
        )
        mark_sent(po, actor_id=None)
        db.session.commit()
        po_id, line_id = po.id, po.lines[0].id
    made = []

    def receive_all(_: int) -> None:
        with tenant_context(shop_id):
            receipt = receive(
                get_purchase_order(po_id),
                quantities={line_id: 3},
                receipt_key="same-form",
                actor_id=None,
            )
            made.append(receipt.id)

    assert _race(committed_app, receive_all, 4) == []
    assert len(set(made)) == 1
    with committed_app.app_context(), tenant_context(shop_id):
        assert get_purchase_order(po_id).status is S.RECEIVED
        assert db.session.get(Variant, (shop_id, variant_id)).stock_quantity == 3
