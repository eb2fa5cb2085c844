"""A sales rep and the shop's invoice list: web orders' documents and their own, never a
colleague's entered invoice (paid or not) or its credit notes; managers see all."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.orders.entry.payment import mark_paid_by_transfer
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import mark_order_paid
from mall.shops.models import Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.mall import test_entry_documents as entry
from tests.mall.test_entry_documents import issued, member

goods = entry.goods
BASE = "/shop/shop-a/admin/invoices"


def entered_invoice(shop, goods, rep, *, paid_by=None, refund: bool = False) -> SimpleNamespace:
    """An invoice ``rep`` entered (paid by transfer by ``paid_by``, refunded in part if asked):
    the numbers of its documents and their ids."""
    with tenant_context(shop):
        document = issued(shop, goods)
        document.entered_by_id = rep.id
        db.session.commit()
        ids = [document.invoice_id]
        if paid_by is not None:
            assert mark_paid_by_transfer(document, shop=shop, actor_id=paid_by.id)
            db.session.commit()
        if refund:
            order = db.session.get(Order, (shop.id, document.order_id))
            refund_order(
                order,
                RefundRequest(quantities={order.lines[0].id: 1}, reason="Broken"),
                actor_id=None,
                key=f"r-{document.id}",
            )
            db.session.commit()
            ids = list(
                db.session.scalars(
                    sa.select(Invoice.id).where(Invoice.order_id == document.order_id)
                )
            )
        numbers = list(db.session.scalars(sa.select(Invoice.number).where(Invoice.id.in_(ids))))
        return SimpleNamespace(ids=ids, numbers=numbers)


def web_invoice(shop) -> SimpleNamespace:
    """A web order of ``shop``, paid: its invoice."""
    with tenant_context(shop):
        order = place_order(shop)
        assert mark_order_paid(order)
        db.session.commit()
        invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
        return SimpleNamespace(ids=[invoice.id], numbers=[invoice.number])


@pytest.fixture
def team(shop_a, make_user):
    return SimpleNamespace(
        rep=member(shop_a, make_user, Role.SALES_REP),
        colleague=member(shop_a, make_user, Role.SALES_REP),
        manager=member(shop_a, make_user, Role.MANAGER),
    )


def test_a_rep_sees_web_documents_and_their_own_never_a_colleagues(
    client, sign_in, goods, shop_a, team
):
    web = web_invoice(shop_a)
    mine = entered_invoice(shop_a, goods, team.rep, paid_by=team.manager, refund=True)
    unpaid_theirs = entered_invoice(shop_a, goods, team.colleague)
    paid_theirs = entered_invoice(shop_a, goods, team.colleague, paid_by=team.manager, refund=True)
    assert len(mine.ids) == 2 and len(paid_theirs.ids) == 2  # an invoice and a credit note
    sign_in(team.rep)
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert "As a sales rep you see" in listing
    for number in web.numbers + mine.numbers:
        assert number in listing
    for number in unpaid_theirs.numbers + paid_theirs.numbers:
        assert number not in listing
    for document_id in web.ids + mine.ids:
        assert client.get(f"{BASE}/{document_id}").status_code == 200
        assert client.get(f"{BASE}/{document_id}.pdf").status_code == 200
    for document_id in unpaid_theirs.ids + paid_theirs.ids:
        assert client.get(f"{BASE}/{document_id}").status_code == 404
        assert client.get(f"{BASE}/{document_id}.pdf").status_code == 404
    sign_in(team.manager)
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert "As a sales rep you see" not in listing
    for number in web.numbers + mine.numbers + unpaid_theirs.numbers + paid_theirs.numbers:
        assert number in listing
    for document_id in paid_theirs.ids:
        assert client.get(f"{BASE}/{document_id}").status_code == 200


def test_a_reps_credit_note_filter_keeps_the_rule(client, sign_in, goods, shop_a, team):
    mine = entered_invoice(shop_a, goods, team.rep, paid_by=team.manager, refund=True)
    theirs = entered_invoice(shop_a, goods, team.colleague, paid_by=team.manager, refund=True)
    with tenant_context(shop_a):
        note_of = {
            row.order_id: row.number
            for row in db.session.scalars(
                sa.select(Invoice).where(Invoice.kind == DocumentKind.CREDIT_NOTE)
            )
        }
    mine_note, theirs_note = (
        next(n for n in note_of.values() if n in docs.numbers) for docs in (mine, theirs)
    )
    sign_in(team.rep)
    notes = client.get(f"{BASE}/?kind=credit_note").get_data(as_text=True)
    assert mine_note in notes and theirs_note not in notes


def test_a_document_the_rep_entered_whose_author_left_is_not_theirs(
    client, sign_in, goods, shop_a, team
):
    with tenant_context(shop_a):
        nobodys = issued(shop_a, goods)  # entered_by_id None: the member who typed it left
        invoice_id = nobodys.invoice_id
    sign_in(team.rep)
    assert client.get(f"{BASE}/{invoice_id}").status_code == 404
    sign_in(team.manager)
    assert client.get(f"{BASE}/{invoice_id}").status_code == 200


def test_another_shops_document_and_bad_ids_answer_404(client, sign_in, shop_a, shop_b, team):
    theirs = web_invoice(shop_b)
    sign_in(team.rep)
    assert client.get(f"{BASE}/{theirs.ids[0]}").status_code == 404
    assert client.get(f"{BASE}/{theirs.ids[0]}.pdf").status_code == 404
    assert client.get(f"{BASE}/not-a-uuid").status_code == 404
    assert client.get(f"{BASE}/?kind=%00").status_code == 400
    assert client.get(f"{BASE}/?page=99999999999999999999").status_code == 200


def test_a_reps_list_costs_the_same_whatever_its_length(
    client, sign_in, goods, shop_a, team, count_queries
):
    def add(count: int) -> None:
        for _ in range(count):
            entered_invoice(shop_a, goods, team.rep)
            entered_invoice(shop_a, goods, team.colleague)
            web_invoice(shop_a)

    add(1)
    sign_in(team.rep)
    client.get(f"{BASE}/")
    with count_queries() as few:
        assert client.get(f"{BASE}/").status_code == 200
    add(4)
    with count_queries() as many:
        page = client.get(f"{BASE}/").get_data(as_text=True)
    assert page.count("SHOPA-INV-") >= 10
    assert many.count == few.count
