"""Offline card: validated, stored only as ciphertext, shown once, deleted when processed,
declined or overdue (orders built through the orders services: ``tests.crawl.orders``)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order, OrderStatus
from mall.payments.errors import PaymentError
from mall.payments.jobs import purge_overdue_offline_cards
from mall.payments.models import OfflineCard
from mall.payments.offline_cards import parse_card, store_offline_card
from tenants.context import all_tenants, tenant_context
from tests.crawl.orders import place_order

NUMBER = "4242 4242 4242 4242"
CARDS = "/shop/shop-a/admin/payments/cards"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def card_order(shop, *, created_hours_ago: int = 0) -> SimpleNamespace:
    """A committed offline-card order of ``shop`` with the test card stored."""
    with tenant_context(shop):
        order = place_order(shop, payment_method="offline_card")
        card = store_offline_card(order, parse_card(NUMBER, "12/39", "123"))
        card.created_at = utcnow() - timedelta(hours=created_hours_ago)
        placed = SimpleNamespace(id=order.id, number=order.number)
        db.session.commit()
    return placed


def raw_cards() -> list:
    with all_tenants("test: the raw offline_cards rows"):
        return db.session.execute(sa.select(OfflineCard.__table__)).all()


def order_status(shop, order) -> OrderStatus:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(Order).where(Order.id == order.id)).one().status


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "message"),
    [
        ("4242 4242 4242 4241", "12/39", "123", "not valid"),
        ("4242", "12/39", "123", "12 to 19 digits"),
        ("abcd efgh ijkl mnop", "12/39", "123", "12 to 19 digits"),
        (NUMBER, "13/39", "123", "MM/YY"),
        (NUMBER, "1239", "123", "MM/YY"),
        (NUMBER, "05/26", "123", "expired"),
        (NUMBER, "12/39", "12", "3 or 4 digits"),
        (NUMBER, "12/39", "12a4", "3 or 4 digits"),
    ],
)
def test_bad_card_details_are_refused_with_a_clear_message(number, expiry, cvc, message):
    with pytest.raises(PaymentError, match=message) as refused:
        parse_card(number, expiry, cvc, today=date(2026, 11, 29))
    assert "4242" not in str(refused.value)


def test_a_good_card_parses_and_hides_its_digits_in_repr():
    card = parse_card("4242-4242 4242 4242", "11/26", "1234", today=date(2026, 11, 29))
    assert (card.brand, card.last4, card.expiry) == ("Visa", "4242", "11/26")
    assert "424242" not in repr(card) and "1234" not in repr(card)


# ---------------------------------------------------------------- storage


def test_the_card_is_stored_only_as_ciphertext(app_ctx, shop_a):
    card_order(shop_a)
    (row,) = raw_cards()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    for secret in (b"4242424242424242", b"424242424242", b"12/39", b"123"):
        assert secret not in stored.replace(b"-", b"")
    assert row.last4 == "4242" and row.brand == "Visa"


def test_storing_twice_keeps_one_card(app_ctx, shop_a):
    with tenant_context(shop_a):
        order = place_order(shop_a, payment_method="offline_card")
        card = parse_card(NUMBER, "12/39", "123")
        assert store_offline_card(order, card).id == store_offline_card(order, card).id
        db.session.commit()
    assert len(raw_cards()) == 1


def test_a_bank_transfer_order_takes_no_card(app_ctx, shop_a):
    with tenant_context(shop_a), pytest.raises(PaymentError):
        store_offline_card(place_order(shop_a), parse_card(NUMBER, "12/39", "123"))


# ---------------------------------------------------------------- the manager's pages


def test_reveal_once_then_process_deletes_the_card_and_pays(client, shop_a, member_of_a, no_csrf):
    order = card_order(shop_a)
    listing = client.get(CARDS)
    assert order.number in listing.text and "ending 4242" in listing.text
    assert "4242 4242" not in listing.text and "4242424242424242" not in listing.text

    shown = client.post(f"{CARDS}/{order.id}/reveal")
    assert shown.status_code == 200
    assert "4242424242424242" in shown.text and "12/39" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    again = client.post(f"{CARDS}/{order.id}/reveal", follow_redirects=True)
    assert "4242424242424242" not in again.text
    assert "already shown once" in again.text
    (row,) = raw_cards()
    assert row.revealed_by_id == member_of_a.id and row.revealed_at is not None

    done = client.post(f"{CARDS}/{order.id}/process")
    assert done.status_code == 303
    assert raw_cards() == []
    assert order_status(shop_a, order) is OrderStatus.PAID
    twice = client.post(f"{CARDS}/{order.id}/process", follow_redirects=True)
    assert twice.status_code == 200 and "already processed" in twice.text


def test_decline_deletes_the_card_and_cancels_the_order(client, shop_a, member_of_a, no_csrf):
    order = card_order(shop_a)
    empty = client.post(f"{CARDS}/{order.id}/decline", data={"reason": ""})
    assert empty.status_code == 422 and len(raw_cards()) == 1
    done = client.post(f"{CARDS}/{order.id}/decline", data={"reason": "Refused by the bank"})
    assert done.status_code == 303
    assert raw_cards() == []
    assert order_status(shop_a, order) is OrderStatus.CANCELLED


def test_another_shops_card_is_not_found(client, shop_a, shop_b, member_of_a, no_csrf):
    theirs = card_order(shop_b)
    for path in ("", "/reveal", "/process", "/decline"):
        method = client.get if not path else client.post
        assert method(f"{CARDS}/{theirs.id}{path}", data={"reason": "x"}).status_code == 404
    assert len(raw_cards()) == 1


def test_staff_without_orders_manage_cannot_reveal(
    client, app, shop_a, make_user, sign_in, no_csrf
):
    from mall.shops.models import Membership, Role

    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    order = card_order(shop_a)
    assert client.post(f"{CARDS}/{order.id}/reveal").status_code == 403
    assert raw_cards()[0].revealed_at is None


def test_card_pages_answer_over_https_only_in_production(
    client, app, shop_a, member_of_a, monkeypatch, no_csrf
):
    order = card_order(shop_a)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    plain = client.get(f"{CARDS}/{order.id}")
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert client.post(f"{CARDS}/{order.id}/reveal").status_code == 403
    secure = client.get(f"{CARDS}/{order.id}", base_url="https://mall.test")
    assert secure.status_code != 301  # over HTTPS the page is served (here: sign in first)
    assert raw_cards()[0].revealed_at is None


# ---------------------------------------------------------------- the deadline


def test_the_deadline_job_deletes_overdue_cards_and_cancels_their_orders(
    app_ctx, app, shop_a, shop_b
):
    old = card_order(shop_a, created_hours_ago=73)
    fresh = card_order(shop_b, created_hours_ago=2)
    assert purge_overdue_offline_cards() == 1
    db.session.commit()
    (left,) = raw_cards()
    assert left.order_id == fresh.id
    assert order_status(shop_a, old) is OrderStatus.CANCELLED
    assert order_status(shop_b, fresh) is OrderStatus.AWAITING_PAYMENT
    assert purge_overdue_offline_cards() == 0
