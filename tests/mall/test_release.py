"""The holding period: an order's money becomes available once, after fulfilment (or payment,
nothing to ship); rolling reserves are held and given back; a re-run posts nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import run_job
from mall.ledger.models import Account, EntryKind, LedgerEntry
from mall.ledger.payouts import set_shop_controls
from mall.ledger.release import SWEPT_UNTIL, release_due, release_due_reserves
from mall.money import apply_rate
from tenants.settings import get_setting, put_setting
from tests.support.money import buy
from tests.support.payouts import (
    assert_ledger_invariant,
    digital_product,
    entry_count,
    owed,
    release_later,
    ship_all,
    sold,
)
from tests.support.shopping import stock_shop


@pytest.fixture
def paid(app, app_ctx, client, shop_a):
    """Shop A sold 2 x 25.00 (+ 5.00 shipping) at 10 % commission, paid at once."""
    app.config["WTF_CSRF_ENABLED"] = False
    put_setting("commission.default_bp", 1000)
    db.session.commit()
    stocked = stock_shop(shop_a, price=2500, quantity=10)
    (order,) = sold(buy(client, (stocked.variant_id, 2)))
    yield order
    app.config["WTF_CSRF_ENABLED"] = True


EARNED = 2 * 2500 + 500 - 500  # sales and shipping, less 10 % commission on the sales


def releases() -> list[LedgerEntry]:
    return list(
        db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.RELEASE))
    )


def test_nothing_is_released_before_the_order_ships(paid):
    assert owed(paid.tenant_id, Account.SHOP_PENDING) == EARNED
    assert release_later(timedelta(days=30)) == 0
    assert owed(paid.tenant_id, Account.SHOP_AVAILABLE) == 0
    assert_ledger_invariant()


def test_the_holding_period_counts_from_fulfilment(paid):
    ship_all(paid)
    assert release_later(timedelta(days=0)) == 0
    assert release_later(timedelta(days=6, hours=23)) == 0
    assert owed(paid.tenant_id, Account.SHOP_PENDING) == EARNED
    assert release_later() == 1
    assert owed(paid.tenant_id, Account.SHOP_PENDING) == 0
    assert owed(paid.tenant_id, Account.SHOP_AVAILABLE) == EARNED
    (entry,) = releases()
    assert entry.idempotency_key == f"release:{paid.id}"
    assert all(line.order_id == paid.id for line in entry.lines)
    assert_ledger_invariant()


def test_a_rerun_posts_nothing(paid):
    ship_all(paid)
    assert release_later() == 1
    before = entry_count()
    put_setting(SWEPT_UNTIL, None)  # even a sweep from the start finds it released
    db.session.commit()
    assert release_later() == 0
    assert run_job("mall.ledger.jobs:release_due_orders", None) == 0
    assert entry_count() == before
    assert_ledger_invariant()


def test_the_holding_days_setting_is_honoured(paid):
    put_setting("ledger.holding_days", 0)
    db.session.commit()
    ship_all(paid)
    assert release_later(timedelta(minutes=1)) == 1
    assert owed(paid.tenant_id, Account.SHOP_AVAILABLE) == EARNED


def test_an_order_with_nothing_to_ship_counts_from_payment(app, app_ctx, client, shop_a):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        variant_id = digital_product(shop_a, price=1000)
        (order,) = buy(client, (variant_id, 1))
        assert order.fulfilled_at is not None  # fulfilled when paid
        (order,) = sold([order])
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert release_later(timedelta(days=6)) == 0
    assert release_later() == 1
    assert owed(order.tenant_id, Account.SHOP_AVAILABLE) > 0
    assert owed(order.tenant_id, Account.SHOP_PENDING) == 0
    assert_ledger_invariant()


def test_the_sweep_goes_in_batches_and_remembers_where_it_stopped(app, app_ctx, client, shop_a):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        stocked = stock_shop(shop_a, price=1000, quantity=10)
        orders = [sold(buy(client, (stocked.variant_id, 1)))[0] for _ in range(3)]
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    for order in orders:
        ship_all(order)
    now = utcnow() + timedelta(days=8)
    first = release_due(now=now, limit=2)
    assert first.released == 2 and first.after is not None
    assert get_setting(SWEPT_UNTIL) is None  # not complete yet
    second = release_due(now=now, after=first.after, limit=2)
    assert second.released == 1 and second.after is None
    assert get_setting(SWEPT_UNTIL) is not None
    db.session.commit()
    assert len(releases()) == 3
    assert_ledger_invariant()


def test_a_reserve_is_held_at_release_and_given_back_later(paid, shop_a):
    set_shop_controls(
        shop_a, reserve_bp=1000, reserve_days=30, held=False, hold_reason="", actor_id=None
    )
    db.session.commit()
    ship_all(paid)
    assert release_later() == 1
    held = apply_rate(EARNED, 1000)
    assert owed(shop_a.id, Account.SHOP_RESERVE) == held
    assert owed(shop_a.id, Account.SHOP_AVAILABLE) == EARNED - held
    assert release_due_reserves(now=utcnow() + timedelta(days=20)) == 0
    assert owed(shop_a.id, Account.SHOP_RESERVE) == held
    assert release_due_reserves(now=utcnow() + timedelta(days=31)) == 1
    assert release_due_reserves(now=utcnow() + timedelta(days=32)) == 0  # once
    db.session.commit()
    assert owed(shop_a.id, Account.SHOP_RESERVE) == 0
    assert owed(shop_a.id, Account.SHOP_AVAILABLE) == EARNED
    kinds = [
        line.kind
        for entry in db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq))
        for line in entry.lines
        if line.account is Account.SHOP_RESERVE
    ]
    assert kinds == ["reserve_hold", "reserve_release"]
    assert_ledger_invariant()


def hold_reserve(shop, percent_bp: int = 1000, days: int = 30) -> None:
    set_shop_controls(
        shop, reserve_bp=percent_bp, reserve_days=days, held=False, hold_reason="", actor_id=None
    )
    db.session.commit()


def test_clearing_the_reserve_settings_does_not_give_back_a_hold_early(paid, shop_a):
    hold_reserve(shop_a, 1000, 30)
    ship_all(paid)
    assert release_later() == 1
    held = owed(shop_a.id, Account.SHOP_RESERVE)
    assert held > 0
    hold_reserve(shop_a, 0, 0)  # the operator clears the shop's reserve
    assert release_due_reserves(now=utcnow() + timedelta(minutes=5)) == 0
    assert release_due_reserves(now=utcnow() + timedelta(days=29)) == 0
    assert owed(shop_a.id, Account.SHOP_RESERVE) == held  # the 30 days still run
    assert release_due_reserves(now=utcnow() + timedelta(days=31)) == 1
    db.session.commit()
    assert owed(shop_a.id, Account.SHOP_RESERVE) == 0
    assert owed(shop_a.id, Account.SHOP_AVAILABLE) == EARNED
    assert_ledger_invariant()


def test_raising_the_reserve_days_does_not_extend_holds_already_made(paid, shop_a):
    from mall.ledger.models.payouts import ReserveHold

    hold_reserve(shop_a, 1000, 30)
    ship_all(paid)
    assert release_later() == 1
    hold_reserve(shop_a, 2000, 90)  # new terms: for orders released from now on
    (hold,) = db.session.scalars(sa.select(ReserveHold)).all()
    assert (hold.reserve_bp, hold.reserve_days, hold.released_at) == (1000, 30, None)
    assert hold.release_at - hold.held_at == timedelta(days=30)
    assert owed(shop_a.id, Account.SHOP_RESERVE) == apply_rate(EARNED, 1000)
    assert release_due_reserves(now=utcnow() + timedelta(days=31)) == 1
    assert release_later(timedelta(days=40)) == 0  # a sweep later gives nothing back twice
    db.session.commit()
    assert owed(shop_a.id, Account.SHOP_RESERVE) == 0
    db.session.refresh(hold)
    assert hold.released_at is not None
    assert_ledger_invariant()
