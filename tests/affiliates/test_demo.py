"""The demo's affiliate (``affiliates.demo``, a step of ``flask mall seed-demo``): an approved
affiliate with code ALIDEMO paid by PayPal, a few clicks rolled up and one paid order of the
demo customer attributed to it, so the dashboard is not empty; seeding twice changes nothing."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, time

import sqlalchemy as sa

import affiliates.demo as affiliate_demo
from affiliates.demo import AFFILIATE, CODE, SHOP
from affiliates.models import (
    Affiliate,
    AffiliateClick,
    AffiliateCommission,
    AffiliateDailyStat,
    AffiliateStatus,
    CommissionStatus,
    PayoutMethod,
)
from mall.accounts.services import find_user_by_email
from mall.checkout.models import Checkout
from mall.demo.money import demo_order
from mall.demo.people import DEMO_PERSONAL_DATA, seed_demo
from mall.demo.selling import CUSTOMER
from mall.extensions import db
from mall.orders.models import Order, OrderStatus
from tenants.context import all_tenants, tenant_context
from tenants.models import AuditEvent, Tenant


def counts() -> dict[str, int]:
    with all_tenants("test: count what the demo's affiliate step made"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (
                Affiliate,
                AffiliateClick,
                AffiliateDailyStat,
                AffiliateCommission,
                Checkout,
                Order,
                AuditEvent,
            )
        }


def the_affiliate() -> Affiliate:
    user = find_user_by_email(AFFILIATE)
    return db.session.scalars(sa.select(Affiliate).where(Affiliate.user_id == user.id)).one()


def shown(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return htmllib.unescape(found.group(1)).strip()


def test_the_demo_affiliate_is_approved_with_its_code_and_paypal_payouts(app_ctx):
    report = seed_demo()
    db.session.commit()
    affiliate = the_affiliate()
    assert affiliate.status is AffiliateStatus.APPROVED
    assert affiliate.code == CODE
    assert affiliate.payout_method is PayoutMethod.PAYPAL
    assert affiliate.payout_email == AFFILIATE
    assert any(CODE in line and AFFILIATE in line for line in report)
    # A demo person, so the dump test looks for their name, email and phone.
    assert AFFILIATE in DEMO_PERSONAL_DATA


def test_a_paid_order_of_the_demo_customer_earns_the_affiliate_a_pending_commission(app_ctx):
    seed_demo()
    db.session.commit()
    affiliate = the_affiliate()
    order = demo_order("affiliate")
    assert order is not None
    assert order.status is OrderStatus.PAID
    assert db.session.get(Tenant, order.tenant_id).slug == SHOP
    with tenant_context(order.tenant_id):
        commissions = db.session.scalars(
            sa.select(AffiliateCommission).where(AffiliateCommission.order_id == order.id)
        ).all()
    assert [(c.affiliate_id, c.status) for c in commissions] == [
        (affiliate.id, CommissionStatus.PENDING)
    ]
    assert commissions[0].amount > 0
    buyer = db.session.get(Checkout, order.checkout_id)
    assert buyer.user_id == find_user_by_email(CUSTOMER).id


def test_the_dashboard_shows_the_clicks_the_conversion_and_the_pending_commission(
    client, sign_in, app_ctx
):
    seed_demo()
    db.session.commit()
    sign_in(find_user_by_email(AFFILIATE))
    page = client.get("/affiliates/dashboard").get_data(as_text=True)
    assert shown(page, "stat-clicks") == "4"
    assert shown(page, "stat-visitors") == "3"
    assert shown(page, "stat-conversions") == "1"
    pending = re.search(r'id="status-pending".*?<td[^>]*>(.*?)</td>', page, re.S)
    assert pending and pending.group(1).strip() == "1"  # one pending commission
    assert "/shop/copper-kettle/" in page


def test_seeded_in_the_first_minutes_of_a_day_the_returning_visitor_counts_once(
    client, sign_in, app_ctx, monkeypatch
):
    # The demo's clicks go back fifty minutes; at ten past midnight they must not reach
    # into yesterday, where the returning visitor would be a second visitor.
    today = datetime.now(UTC).date()
    ten_past_midnight = datetime.combine(today, time(0, 10), tzinfo=UTC)
    monkeypatch.setattr(affiliate_demo, "utcnow", lambda: ten_past_midnight)
    seed_demo()
    db.session.commit()
    with all_tenants("test: the days the demo's clicks fell on"):
        days = set(db.session.scalars(sa.select(AffiliateDailyStat.day)))
    assert days == {today}
    sign_in(find_user_by_email(AFFILIATE))
    page = client.get("/affiliates/dashboard").get_data(as_text=True)
    assert shown(page, "stat-clicks") == "4"
    assert shown(page, "stat-visitors") == "3"


def test_seeding_twice_changes_nothing(app_ctx):
    seed_demo()
    db.session.commit()
    first = counts()
    report = seed_demo()
    db.session.commit()
    assert counts() == first
    assert first["affiliates"] == 1
    assert first["affiliate_clicks"] == 4
    assert any(CODE in line for line in report)
