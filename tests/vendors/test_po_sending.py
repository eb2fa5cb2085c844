"""Sending a purchase order: draft -> sent once, the vendor's email (HTML body, PDF
attachment, the vendor link), sending again under a new link version, refusals, and the
PDF and printable page in the back office."""

from __future__ import annotations

import pytest

from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.purchasing import draft_po, make_vendor
from tests.support.mail import clear_outbox, sent_to, text_of
from vendors.errors import PurchasingError
from vendors.models import PurchaseStatus
from vendors.purchasing.services import (
    create_purchase_order,
    get_purchase_order,
    mark_sent,
    send_purchase_order,
)

VENDOR = "orders@acme.test"


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    yield
    clear_outbox(app)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def committed_draft(shop, **kw):
    """A draft PO of ``shop`` (committed): (id, number, first line's description)."""
    with tenant_context(shop):
        po = draft_po(shop, **kw)
        made = (po.id, po.number, po.lines[0].description)
        db.session.commit()
    return made


def load(shop, po_id):
    with tenant_context(shop):
        db.session.expire_all()
        return get_purchase_order(po_id)


def test_send_mails_the_vendor_once_with_html_and_pdf(app, shop_a, outbox):
    po_id, number, description = committed_draft(shop_a, packs=3)
    with tenant_context(shop_a):
        po = get_purchase_order(po_id)
        assert send_purchase_order(po, actor_id=None) is True
        assert send_purchase_order(po, actor_id=None) is False  # a double click
        db.session.commit()
    po = load(shop_a, po_id)
    assert po.status is PurchaseStatus.SENT and po.sent_at is not None
    [message] = sent_to(app, VENDOR)
    assert message["Subject"] == f"Purchase order {number} from Shop A"
    text = text_of(message)
    assert number in text and f"3 x {description}" in text
    assert "/vendor/po/" in text  # the vendor's link to confirm and ship
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"Purchase order {number}" in html and description in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_sending_again_moves_the_link_version_and_mails_again(app, shop_a, outbox):
    po_id, _, _ = committed_draft(shop_a)
    with tenant_context(shop_a):
        po = get_purchase_order(po_id)
        send_purchase_order(po, actor_id=None)
        db.session.commit()
        assert send_purchase_order(po, actor_id=None, link_version=1) is True
        # The same click again (the page still showed version 1): nothing more.
        assert send_purchase_order(po, actor_id=None, link_version=1) is False
        db.session.commit()
    po = load(shop_a, po_id)
    assert po.link_version == 2 and po.status is PurchaseStatus.SENT
    first, second = sent_to(app, VENDOR)
    assert "earlier link no longer works" in text_of(second)
    assert "earlier link" not in text_of(first)


def test_a_draft_cannot_be_sent_again_and_a_cancelled_po_not_at_all(app, shop_a, outbox):
    po_id, number, _ = committed_draft(shop_a)
    with tenant_context(shop_a):
        po = get_purchase_order(po_id)
        with pytest.raises(PurchasingError, match=f"{number} is draft: only a sent"):
            send_purchase_order(po, actor_id=None, link_version=1)
        po.status = PurchaseStatus.CANCELLED
        db.session.flush()
        with pytest.raises(PurchasingError, match=f"{number} is cancelled: only a draft"):
            send_purchase_order(po, actor_id=None)
        db.session.rollback()
    assert sent_to(app, VENDOR) == []


def test_a_vendor_without_email_is_refused_but_a_phone_order_can_be_marked_sent(
    app, shop_a, outbox
):
    po_id, _, _ = committed_draft(shop_a, email=None)
    with tenant_context(shop_a):
        po = get_purchase_order(po_id)
        with pytest.raises(PurchasingError, match="has no email address"):
            send_purchase_order(po, actor_id=None)
        assert mark_sent(po, actor_id=None) is True
        assert mark_sent(po, actor_id=None) is False
        db.session.commit()
    assert load(shop_a, po_id).status is PurchaseStatus.SENT
    assert sent_to(app, VENDOR) == []


def test_an_empty_draft_is_not_sent(app, shop_a, outbox):
    with tenant_context(shop_a):
        po = create_purchase_order(make_vendor(shop_a), lines=[], actor_id=None)
        with pytest.raises(PurchasingError, match=f"{po.number} has no lines"):
            send_purchase_order(po, actor_id=None)


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner@example.com", name="Olga Owner")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


def test_send_and_resend_buttons(app, client, shop_a, owner, outbox, no_csrf):
    po_id, number, _ = committed_draft(shop_a)
    page = f"/shop/shop-a/admin/purchasing/orders/{po_id}"
    response = client.post(f"{page}/send")
    assert response.status_code == 303 and response.location.endswith(page)
    assert f"{number} sent" in client.get(page).get_data(as_text=True)
    response = client.post(f"{page}/send", follow_redirects=True)
    assert f"{number} is already sent: nothing changed." in response.get_data(as_text=True)
    response = client.post(f"{page}/resend", data={"link_version": "1"}, follow_redirects=True)
    assert "sent again" in response.get_data(as_text=True)
    response = client.post(f"{page}/resend", data={"link_version": "1"}, follow_redirects=True)
    assert "nothing changed" in response.get_data(as_text=True)
    assert len(sent_to(app, VENDOR)) == 2


def test_send_refused_shows_the_reason(client, shop_a, owner, outbox, no_csrf):
    po_id, _, _ = committed_draft(shop_a, email=None)
    body = client.get(f"/shop/shop-a/admin/purchasing/orders/{po_id}").get_data(as_text=True)
    assert "has no email address" in body and "Send to the vendor" not in body
    assert "Mark as sent" in body
    response = client.post(f"/shop/shop-a/admin/purchasing/orders/{po_id}/send")
    assert response.status_code == 409
    assert "has no email address" in response.get_data(as_text=True)
    response = client.post(f"/shop/shop-a/admin/purchasing/orders/{po_id}/mark-sent")
    assert response.status_code == 303


def test_pdf_and_printable_page(client, shop_a, owner):
    po_id, number, description = committed_draft(shop_a)
    response = client.get(f"/shop/shop-a/admin/purchasing/orders/{po_id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get(f"/shop/shop-a/admin/purchasing/orders/{po_id}/document")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and description in body and "Download PDF" in body


def test_a_drop_ship_po_shows_the_sealed_address_to_the_vendor(app, client, shop_a, owner):
    import json

    with tenant_context(shop_a):
        po = draft_po(shop_a)
        po.drop_ship = True
        po.ship_to_json = json.dumps(
            {"name": "Dana Buyer", "address": ["1 Elm Street", "Springfield"], "phone": "555-0101"}
        )
        db.session.commit()
        assert b"Dana Buyer" not in po.ship_to_ct  # sealed
        po_id = po.id
    body = client.get(f"/shop/shop-a/admin/purchasing/orders/{po_id}/document").get_data(True)
    assert "Ship to" in body and "Dana Buyer" in body and "1 Elm Street" in body
    assert "555-0101" in body
