"""A PayPal payout already on its way when the affiliate deleted their account: left out of
the CSV and flagged on the batch page, skipped by "Mark the PayPal payouts paid", marked paid
by itself once, or failed (or returned) with its commissions going back to the shops."""

from __future__ import annotations

import sqlalchemy as sa

from affiliates.commissions.forfeits import FORFEITED
from affiliates.models import (
    AffiliatePayout,
    AffiliatePayoutStatus,
    BatchStatus,
    CommissionStatus,
)
from affiliates.payouts import queries, services
from mall.accounts.erasure import erase_account
from mall.accounts.models import User
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import LedgerLine
from tenants.settings import put_setting
from tests.affiliates.test_forfeits import pending, shop_is_owed
from tests.affiliates.test_payouts import (
    an_affiliate,
    available,
    commissions_of,
    earn,
    in_transit,
    ledger_sums_to_zero,
)
from tests.affiliates.test_payouts_pages import BASE, no_csrf, text
from tests.conftest import DEFAULT_PASSWORD

__all__ = ["no_csrf"]  # fixture

WARNING = (
    "The affiliate deleted their account: if you already paid it on PayPal, mark it paid; "
    "otherwise mark it failed"
)


def a_batch_then_deletion(make_user, shop):
    """Ada (deleted after the batch) and Bea (still here), both in one PayPal batch."""
    put_setting("affiliates.min_payout", 100)
    ada = an_affiliate(make_user, "ALIDEMO", email="ada@pay.example.net")
    bea = an_affiliate(make_user, "BEA-D", email="bea@pay.example.net")
    earn(shop, ada, 2500)
    earn(shop, bea, 1200)
    made = services.make_batch(batch_key="before-deletion", actor_id=None).batch
    db.session.commit()
    erase_account(db.session.get(User, ada.user_id), password=DEFAULT_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    return made, ada, bea, payout_of(ada)


def payout_of(affiliate) -> AffiliatePayout:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(AffiliatePayout).where(AffiliatePayout.affiliate_id == affiliate.id)
    )


def paid_postings(affiliate) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerLine)
        .where(
            LedgerLine.kind == "affiliate_payout_paid",
            LedgerLine.affiliate_id == affiliate.id,
            LedgerLine.amount > 0,  # Dr in transit, once per payout paid
        )
    )


def test_the_csv_leaves_the_payout_out_and_the_batch_page_says_why(
    client, make_user, operator, sign_in, shop_a, no_csrf
):
    made, ada, bea, ada_payout = a_batch_then_deletion(make_user, shop_a)
    sign_in(operator)
    csv = client.get(f"{BASE}batches/{made.id}/paypal.csv")
    rows = text(csv).strip().split("\r\n")
    assert [row.split(",")[:3] for row in rows] == [["bea@pay.example.net", "12.00", "USD"]]
    page = text(client.get(f"{BASE}batches/{made.id}"))
    assert page.count(WARNING) == 1
    assert "1 PayPal payout of this batch is not in the CSV" in page
    assert f'action="{BASE}{ada_payout.id}/paid"' in page
    assert f'action="{BASE}{payout_of(bea).id}/paid"' not in page  # Bea is in the CSV
    # Ada is no longer anybody the operator could pay.
    assert all(row.affiliate.id != ada.id for row in queries.payable_affiliates())


def test_marking_the_batch_paid_leaves_the_deleted_affiliates_payout_to_the_operator(
    app_ctx, make_user, shop_a
):
    made, ada, bea, _ = a_batch_then_deletion(make_user, shop_a)
    assert services.mark_batch_paid(made, actor_id=None) == 1  # Bea's, the CSV's only row
    db.session.commit()
    assert payout_of(bea).status is AffiliatePayoutStatus.PAID
    assert payout_of(ada).status is AffiliatePayoutStatus.IN_TRANSIT and in_transit(ada) == 2500
    db.session.refresh(made)
    assert made.status is BatchStatus.OPEN  # Ada's payout still waits for a decision
    assert services.mark_batch_paid(made, actor_id=None) == 0


def test_the_operator_marks_it_paid_once(client, make_user, operator, sign_in, shop_a, no_csrf):
    made, ada, _, ada_payout = a_batch_then_deletion(make_user, shop_a)
    sign_in(operator)
    assert client.post(f"{BASE}batches/{made.id}/paid").status_code == 303  # Bea's
    paid = client.post(f"{BASE}{ada_payout.id}/paid")
    again = client.post(f"{BASE}{ada_payout.id}/paid")  # a double click
    assert paid.status_code == again.status_code == 303
    assert paid.headers["Location"].endswith(f"/batches/{made.id}")
    page = text(client.get(again.headers["Location"]))
    assert "marked paid." in page and "was not waiting: nothing changed" in page
    assert WARNING not in page
    assert payout_of(ada).status is AffiliatePayoutStatus.PAID
    assert in_transit(ada) == 0 and available(ada) == 0 and paid_postings(ada) == 1
    db.session.refresh(made)
    assert made.status is BatchStatus.CLOSED
    assert ledger_sums_to_zero() and verify_chain().ok


def test_failing_it_gives_the_money_back_to_the_shop_once(
    client, make_user, operator, sign_in, shop_a, no_csrf
):
    _, ada, bea, ada_payout = a_batch_then_deletion(make_user, shop_a)
    owed = shop_is_owed(shop_a)
    sign_in(operator)
    failed = client.post(f"{BASE}{ada_payout.id}/failed", data={"reason": "account deleted"})
    assert failed.status_code == 303
    page = text(client.get(failed.headers["Location"]))
    assert "its commissions went back to the shops" in page
    assert "paid in the next batch" not in page
    assert shop_is_owed(shop_a) - owed == 2500
    assert available(ada) == 0 and in_transit(ada) == 0 and pending(ada) == 0
    (row,) = commissions_of(ada)
    assert row.status is CommissionStatus.REJECTED and FORFEITED in row.flags
    assert row.payout_id is None
    assert ledger_sums_to_zero() and verify_chain().ok

    again = client.post(f"{BASE}{ada_payout.id}/failed", data={"reason": "again"})
    assert "had failed already: nothing changed" in text(client.get(again.headers["Location"]))
    assert shop_is_owed(shop_a) - owed == 2500 and available(ada) == 0
    assert payout_of(ada).status is AffiliatePayoutStatus.FAILED
    # Bea's payout is untouched, and nobody deleted is payable.
    assert payout_of(bea).status is AffiliatePayoutStatus.IN_TRANSIT
    assert "ALIDEMO" not in text(client.get(BASE)).split("Batches")[0]


def test_a_returned_payout_of_a_deleted_affiliate_goes_back_to_the_shop(app_ctx, make_user, shop_a):
    _, ada, _, ada_payout = a_batch_then_deletion(make_user, shop_a)
    assert services.mark_payout_paid(ada_payout, actor_id=None)
    assert not services.mark_payout_paid(ada_payout, actor_id=None)
    db.session.commit()
    owed = shop_is_owed(shop_a)
    assert services.fail_payout(ada_payout, reason="unclaimed", actor_id=None)  # came back
    assert not services.fail_payout(ada_payout, reason="unclaimed", actor_id=None)
    db.session.commit()
    assert shop_is_owed(shop_a) - owed == 2500
    assert available(ada) == 0 and in_transit(ada) == 0
    assert [row.status for row in commissions_of(ada)] == [CommissionStatus.REJECTED]
    assert ledger_sums_to_zero() and verify_chain().ok


def test_a_failed_payout_of_an_affiliate_still_here_waits_for_the_next_batch(
    app_ctx, make_user, shop_a
):
    *_, bea, _ = a_batch_then_deletion(make_user, shop_a)
    owed = shop_is_owed(shop_a)
    assert services.fail_payout(payout_of(bea), reason="unknown receiver", actor_id=None)
    db.session.commit()
    assert available(bea) == 1200 and shop_is_owed(shop_a) == owed
    assert [row.status for row in commissions_of(bea)] == [CommissionStatus.APPROVED]
