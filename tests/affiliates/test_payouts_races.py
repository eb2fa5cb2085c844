"""Affiliate payout batches under real concurrency (PostgreSQL, committed): the same form sent
at once makes one batch, and batches made at once with different keys never pay a balance
twice (the ledger's chain lock orders them)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliatePayout, AffiliatePayoutBatch
from affiliates.payouts import services
from mall.accounts.services import create_user
from mall.extensions import db
from mall.ledger.chain import verify_chain
from tenants.services import create_shop
from tenants.settings import put_setting
from tests.affiliates.test_payouts import available, earn, in_transit
from tests.conftest import DEFAULT_PASSWORD
from tests.support.committed import committed_app_fixture, needs_committed_pg

pytestmark = needs_committed_pg
committed_app = committed_app_fixture()

RACERS = 6


def race(app, work: Callable[[int], object], count: int = RACERS) -> list[object]:
    """``work(i)`` in ``count`` threads released together, each committing its own
    transaction; their results (a refusal counts as one)."""
    ready = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def racer(index: int) -> None:
        try:
            with app.app_context():
                ready.wait(timeout=60)
                try:
                    results.append(work(index))
                    db.session.commit()
                except AffiliateError as refused:
                    db.session.rollback()
                    results.append(refused)
        except BaseException as error:  # surfaced below
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def payable(app, amounts: list[int]) -> list[uuid.UUID]:
    """Approved PayPal affiliates with these approved balances in a new shop; their ids."""
    from affiliates.applications import services as applications

    suffix = uuid.uuid4().hex[:6]
    ids = []
    with app.app_context():
        put_setting("affiliates.min_payout", 1000)
        shop = create_shop(f"race-{suffix}", name=f"Race {suffix}")
        db.session.commit()
        for n, amount in enumerate(amounts):
            user = create_user(f"racer-{suffix}-{n}@example.com", DEFAULT_PASSWORD, verified=True)
            row = applications.apply(
                user,
                website="https://race.example.org",
                promotion="Racing posts.",
                payout_method="paypal",
                payout_email=f"racer-{n}@pay.example.net",
            )
            applications.approve(row, actor_id=None, code=f"R{suffix.upper()}{n}")
            db.session.commit()
            earn(shop, row, amount)
            ids.append(row.id)
    return ids


def test_the_same_form_sent_at_once_makes_one_batch(committed_app):
    ids = payable(committed_app, [2000, 3000])
    key = uuid.uuid4().hex

    def make(_: int) -> uuid.UUID:
        return services.make_batch(batch_key=key, actor_id=None).batch.id

    assert len(set(race(committed_app, make))) == 1
    with committed_app.app_context():
        batch = db.session.scalars(
            sa.select(AffiliatePayoutBatch).where(AffiliatePayoutBatch.batch_key == key)
        ).one()
        amounts = db.session.scalars(
            sa.select(AffiliatePayout.amount).where(AffiliatePayout.batch_id == batch.id)
        ).all()
        assert sorted(amounts) == [2000, 3000] and batch.total == 5000
        for affiliate_id in ids:
            row = db.session.get(Affiliate, affiliate_id)
            assert available(row) == 0
        assert verify_chain().ok


def test_batches_made_at_once_never_pay_a_balance_twice(committed_app):
    ids = payable(committed_app, [2500, 1500, 4000])

    def make(index: int) -> object:
        return services.make_batch(batch_key=uuid.uuid4().hex, actor_id=None)

    results = race(committed_app, make)
    made = [r for r in results if not isinstance(r, AffiliateError)]
    assert len(made) >= 1  # the others found nothing left to pay, or only other affiliates
    with committed_app.app_context():
        for affiliate_id, amount in zip(ids, [2500, 1500, 4000], strict=True):
            paid = db.session.scalars(
                sa.select(AffiliatePayout.amount).where(
                    AffiliatePayout.affiliate_id == affiliate_id
                )
            ).all()
            row = db.session.get(Affiliate, affiliate_id)
            assert paid == [amount] and available(row) == 0 and in_transit(row) == amount
        assert verify_chain().ok
