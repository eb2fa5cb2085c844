"""Deleting an affiliate's account gives their commissions not yet paid back to the shops
(nobody is left to pay them to), once; what was paid, or is on its way, stays as it was."""

from __future__ import annotations

from affiliates.commissions.forfeits import FORFEITED, forfeit_unpaid
from affiliates.dashboard.sales import amount_note
from affiliates.models import CommissionStatus
from affiliates.payouts import services as payouts
from mall.accounts.erasure import erase_account
from mall.accounts.models import User
from mall.extensions import db
from mall.ledger.models import Account
from mall.ledger.posting import balance
from tenants.settings import put_setting
from tests.affiliates.test_commissions import sold
from tests.affiliates.test_payouts import (
    an_affiliate,
    available,
    commissions_of,
    earn,
    in_transit,
    ledger_sums_to_zero,
)
from tests.conftest import DEFAULT_PASSWORD


def pending(affiliate) -> int:
    return -balance(Account.AFFILIATE_PENDING, affiliate_id=affiliate.id)


def shop_is_owed(shop) -> int:
    """What the ledger owes the shop, released or not (credits are negative)."""
    return -sum(
        balance(account, shop_id=shop.id)
        for account in (Account.SHOP_PENDING, Account.SHOP_AVAILABLE)
    )


def test_deleting_the_account_gives_unpaid_commissions_back_to_the_shop(app_ctx, make_user, shop_a):
    ada = an_affiliate(make_user, "ADA-GONE")
    earn(shop_a, ada, 2000)  # approved: available
    sold(shop_a, ada)  # pending, in its holding period
    assert available(ada) == 2000 and pending(ada) > 0
    owed = shop_is_owed(shop_a)

    erase_account(db.session.get(User, ada.user_id), password=DEFAULT_PASSWORD)
    db.session.commit()

    assert available(ada) == 0 and pending(ada) == 0
    rows = commissions_of(ada)
    assert {row.status for row in rows} == {CommissionStatus.REJECTED}
    assert all(row.amount == 0 and FORFEITED in row.flags for row in rows)
    assert shop_is_owed(shop_a) - owed == sum(row.original_amount for row in rows)
    assert ledger_sums_to_zero()
    # The shop's sale page says why it pays nothing, not "refunded" nor "rejected".
    notes = {amount_note(row) for row in rows}
    assert all(note.startswith("The affiliate left the program") for note in notes)
    # A second run (a re-run erasure step) finds nothing to give back.
    assert forfeit_unpaid(ada.id) == 0


def test_a_payout_on_its_way_is_not_taken_back(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    bea = an_affiliate(make_user, "BEA-GONE")
    earn(shop_a, bea, 2500)
    payouts.make_batch(batch_key="forfeit", actor_id=None)
    db.session.commit()
    assert in_transit(bea) == 2500

    erase_account(db.session.get(User, bea.user_id), password=DEFAULT_PASSWORD)
    db.session.commit()

    assert in_transit(bea) == 2500
    assert [row.status for row in commissions_of(bea)] == [CommissionStatus.PAID]
