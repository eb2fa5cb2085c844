"""The operator's review page: commissions above the review amount or flagged, across the
shops, with their reasons; Approve and Reject (once, audited); everyone else refused."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from affiliates.models import AffiliateClick, CommissionStatus
from affiliates.programs.settings import save_program_settings
from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.affiliates.test_attribution import (
    click_entry,
    commissions_of,
    make_affiliate,
    paid_order,
)

BASE = "/admin/affiliates/reviews/"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return response.get_data(as_text=True)


def commission(shop, order_id):
    db.session.expire_all()
    (row,) = [row for row in commissions_of(shop, order_id) if row.tier == 1]
    return row


def audits(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def a_review(shop, *, hold_over: bool = False):
    """A sale above the review amount (1.00): its commission waits for the operator."""
    save_program_settings({"review_above": 100}, actor_id=None)
    affiliate = make_affiliate()
    order_id = paid_order(shop, referral=[click_entry(affiliate, days_ago=1)])
    if hold_over:
        with tenant_context(shop):
            commission(shop, order_id).held_until = utcnow() - timedelta(days=1)
            db.session.flush()
        db.session.commit()
    return affiliate, order_id


def test_only_operators_reach_the_review_page(client, make_user, sign_in, shop_a, no_csrf):
    _, order_id = a_review(shop_a)
    row = commission(shop_a, order_id)
    paths = [("get", BASE), ("post", f"{BASE}{row.id}/approve"), ("post", f"{BASE}{row.id}/reject")]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 302  # sign in first
    sign_in(make_user())
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 403
    assert commission(shop_a, order_id).needs_review


def test_the_page_lists_commissions_to_review_across_shops_with_their_reasons(
    client, operator, sign_in, make_shop
):
    shop_b = make_shop("shop-b", name="Bakery Bee")
    shop_c = make_shop("shop-c", name="Candles Cee")
    big, order_b = a_review(shop_b)
    save_program_settings(
        {"review_above": 0, "burst_clicks": 2, "burst_minutes": 10}, actor_id=None
    )
    busy = make_affiliate()
    now = utcnow().replace(microsecond=0)
    for minutes in (3, 2, 1, 0):
        db.session.add(
            AffiliateClick(
                affiliate_id=busy.id,
                clicked_at=now - timedelta(minutes=minutes),
                ip_index=b"x" * 32,
            )
        )
    db.session.commit()
    at = int(now.timestamp())
    order_c = paid_order(shop_c, referral=[{"a": busy.id.hex, "first": at, "at": at}])
    quiet = make_affiliate()
    paid_order(shop_c, referral=[click_entry(quiet, days_ago=1)])  # nothing to review

    sign_in(operator)
    page = text(client.get(BASE))
    with tenant_context(shop_b):
        from mall.orders.models import Order

        number_b = db.session.get(Order, (shop_b.id, order_b)).number
    assert "Bakery Bee" in page and number_b in page and big.code in page
    assert "Above the review amount: waits for your approval" in page
    assert "Candles Cee" in page and busy.code in page
    assert "A burst of clicks from one address before the sale" in page
    assert quiet.code not in page
    assert commission(shop_c, order_c).flags


def test_approving_a_review_clears_it_once_and_is_audited(
    client, operator, sign_in, shop_a, no_csrf
):
    affiliate, order_id = a_review(shop_a, hold_over=True)
    row = commission(shop_a, order_id)
    sign_in(operator)
    done = client.post(f"{BASE}{row.id}/approve")
    again = client.post(f"{BASE}{row.id}/approve")  # a double click
    assert done.status_code == again.status_code == 303
    row = commission(shop_a, order_id)
    assert row.status is CommissionStatus.APPROVED and not row.needs_review
    assert audits("affiliates.commission_approved") == 1
    page = text(client.get(BASE))
    assert "Nothing changed" in page and affiliate.code not in page


def test_approving_inside_the_hold_only_clears_the_review(
    client, operator, sign_in, shop_a, no_csrf
):
    affiliate, order_id = a_review(shop_a)
    row = commission(shop_a, order_id)
    sign_in(operator)
    assert client.post(f"{BASE}{row.id}/approve").status_code == 303
    row = commission(shop_a, order_id)
    assert row.status is CommissionStatus.PENDING and not row.needs_review
    assert "Commission approved" in text(client.get(BASE))
    assert affiliate.code not in text(client.get(BASE))  # reviewed: off the list


def test_rejecting_gives_the_amount_back_once(client, operator, sign_in, shop_a, no_csrf):
    _, order_id = a_review(shop_a)
    row = commission(shop_a, order_id)
    sign_in(operator)
    assert client.post(f"{BASE}{row.id}/reject").status_code == 303
    assert client.post(f"{BASE}{row.id}/reject").status_code == 303
    row = commission(shop_a, order_id)
    assert row.status is CommissionStatus.REJECTED and row.amount == 0
    assert audits("affiliates.commission_rejected") == 1
    # Approving a rejected commission is refused with the reason, not a 500.
    refused = client.post(f"{BASE}{row.id}/approve")
    assert refused.status_code == 409
    assert "Only a pending commission can be approved." in text(refused)


def test_an_unknown_commission_or_an_expired_form_changes_nothing(
    app, client, operator, sign_in, shop_a
):
    _, order_id = a_review(shop_a)
    row = commission(shop_a, order_id)
    sign_in(operator)
    expired = client.post(f"{BASE}{row.id}/reject")  # CSRF on: no token
    assert expired.status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        assert client.post(f"{BASE}{uuid4()}/approve").status_code == 404
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert commission(shop_a, order_id).needs_review
