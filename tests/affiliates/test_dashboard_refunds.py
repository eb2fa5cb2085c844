"""The dashboard's conversions and earnings follow refunds and rejections: the rollup recounts
a day's sales from what their commissions are worth now (by the day the order was paid), and
the job recounts an older day whose commissions changed; the same numbers however often it
runs, at a query cost that does not grow with the sales."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from affiliates.commissions.services import reject
from affiliates.models import AffiliateDailyStat, CommissionStatus
from affiliates.programs.settings import save_program_settings
from affiliates.tracking import jobs, rollups
from affiliates.tracking.jobs import roll_up_clicks
from affiliates.tracking.rollups import roll_up
from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tests.affiliates.test_attribution import (
    MALL_RATE,
    click_entry,
    commissions_of,
    make_affiliate,
    paid_order,
)
from tests.affiliates.test_commissions import pay_out, refund, reload, run_approval, sold

DASHBOARD = "/affiliates/dashboard"


def day_numbers(affiliate) -> dict:
    """(conversions, earned) per day of the affiliate's rollup rows."""
    db.session.expire_all()
    return {
        row.day: (row.conversions, row.earned)
        for row in db.session.scalars(
            sa.select(AffiliateDailyStat).where(AffiliateDailyStat.affiliate_id == affiliate.id)
        )
    }


def rolled_today() -> None:
    roll_up(utcnow().date())
    db.session.commit()


@pytest.fixture
def signed_in_affiliate(make_user, sign_in):
    user = make_user("sunny@example.com")
    sign_in(user)
    return make_affiliate(user)


# ---------------------------------------------------------------- the rollup


def test_a_partial_refund_counts_what_is_left_and_a_full_one_no_conversion(app_ctx, shop_a):
    affiliate = make_affiliate()
    today = utcnow().date()
    order_id, _ = sold(shop_a, affiliate)
    sold(shop_a, affiliate)
    rolled_today()
    assert day_numbers(affiliate) == {today: (2, 2 * MALL_RATE)}

    refund(shop_a, order_id, units=1)  # one of the two units
    rolled_today()
    assert day_numbers(affiliate) == {today: (2, MALL_RATE + MALL_RATE // 2)}

    refund(shop_a, order_id, units=1, key="r2")  # the rest: the commission is rejected
    rolled_today()
    assert day_numbers(affiliate) == {today: (1, MALL_RATE)}
    rolled_today()  # again: the same numbers
    assert day_numbers(affiliate) == {today: (1, MALL_RATE)}


def test_a_commission_the_operator_rejects_no_longer_counts(app_ctx, shop_a, operator):
    affiliate = make_affiliate()
    _, row = sold(shop_a, affiliate)
    with tenant_context(shop_a):
        assert reject(row, actor_id=operator.id)
    db.session.commit()
    rolled_today()
    assert day_numbers(affiliate) == {utcnow().date(): (0, 0)}


def test_a_refund_after_payout_counts_the_clawback_on_the_days_sale(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    run_approval(31)
    pay_out(shop_a, reload(shop_a, row))
    refund(shop_a, order_id, units=1)
    rolled_today()
    assert day_numbers(affiliate) == {utcnow().date(): (1, MALL_RATE - MALL_RATE // 2)}

    refund(shop_a, order_id, units=1, key="r2")  # all of it clawed back: no conversion left
    assert reload(shop_a, row).status is CommissionStatus.PAID
    rolled_today()
    assert day_numbers(affiliate) == {utcnow().date(): (0, 0)}


def test_the_recruiters_second_tier_follows_the_refund_too(app_ctx, shop_a):
    save_program_settings({"tier2_enabled": True, "tier2_bp": 1000}, actor_id=None)
    db.session.commit()
    recruiter = make_affiliate()
    recruit = make_affiliate(recruited_by=recruiter)
    order_id = paid_order(shop_a, referral=[click_entry(recruit, days_ago=1)])
    assert len(commissions_of(shop_a, order_id)) == 2
    refund(shop_a, order_id, units=1)
    rolled_today()
    today = utcnow().date()
    assert day_numbers(recruit) == {today: (1, MALL_RATE // 2)}
    assert day_numbers(recruiter) == {today: (0, 6)}


def test_the_rollup_costs_the_same_with_one_or_many_sales(app_ctx, shop_a, count_queries):
    affiliate, other = make_affiliate(), make_affiliate()
    sold(shop_a, affiliate)
    with count_queries() as few:
        rolled_today()
    for who in (affiliate, other, other):
        sold(shop_a, who)
    with count_queries() as many:
        rolled_today()
    assert many.count == few.count, many.statements
    assert day_numbers(other) == {utcnow().date(): (2, 2 * MALL_RATE)}


# ---------------------------------------------------------------- the job


def test_the_job_recounts_an_older_day_whose_commission_was_refunded(app_ctx, shop_a, monkeypatch):
    affiliate = make_affiliate()
    sale_day = utcnow().date()
    order_id, _ = sold(shop_a, affiliate)
    roll_up_clicks()
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (1, MALL_RATE)}

    # Five days later the order is partly refunded, then fully.
    later = utcnow() + timedelta(days=5)
    monkeypatch.setattr(jobs, "utcnow", lambda: later)
    refund(shop_a, order_id, units=1)
    roll_up_clicks()
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (1, MALL_RATE // 2)}
    refund(shop_a, order_id, units=1, key="r2")
    roll_up_clicks()
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (0, 0)}
    roll_up_clicks()  # nothing changed since: the same numbers
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (0, 0)}


def test_the_job_leaves_older_days_without_changes_alone(app_ctx, shop_a, monkeypatch):
    affiliate = make_affiliate()
    sale_day = utcnow().date()
    sold(shop_a, affiliate)
    # The job first runs five days later (the sale is new to it: its day is counted).
    later = utcnow() + timedelta(days=5)
    monkeypatch.setattr(jobs, "utcnow", lambda: later)
    monkeypatch.setattr(rollups, "utcnow", lambda: later)
    roll_up_clicks()
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (1, MALL_RATE)}
    # A number only a recount of that day would overwrite: the next run leaves it.
    db.session.execute(sa.update(AffiliateDailyStat).values(earned=1))
    db.session.commit()
    roll_up_clicks()
    db.session.commit()
    assert day_numbers(affiliate) == {sale_day: (1, 1)}


# ---------------------------------------------------------------- what the affiliate sees


def test_the_dashboard_shows_earnings_after_refunds(client, signed_in_affiliate, shop_a):
    order_id, _ = sold(shop_a, signed_in_affiliate)
    sold(shop_a, signed_in_affiliate)
    refund(shop_a, order_id, units=2)
    rolled_today()
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert "Earned after refunds" in page
    assert "at the sale" not in page
    assert 'id="stat-conversions">1<' in page
    assert 'id="stat-earned">$1.20<' in page
