"""The payout pages: the operator's console (overview, settings, run, batches, a shop's reserve,
hold and payouts), operators only; a shop's own payout pages, never another shop's."""

from __future__ import annotations

import pytest

from mall.extensions import db
from mall.ledger.models import Account, PayoutBatch, PayoutStatus
from mall.ledger.payouts import (
    export_batch,
    get_payout,
    mark_batch_paid,
    mark_returned,
    set_shop_controls,
)
from tenants.context import tenant_context
from tenants.settings import put_setting
from tests.support import payouts as kit
from tests.support import stripe_checkout as stripe
from tests.support.payouts import (
    assert_ledger_invariant,
    owed,
    pay_by_card,
    pay_out,
    payouts_of,
    refund_units,
    sell_and_release,
    ship_all,
)
from tests.support.shopping import stock_shop

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
acme = kit.acme
bolt = kit.bolt
as_operator = kit.as_operator


@pytest.fixture
def member_of(make_user, sign_in):
    from mall.shops.models import Membership, Role

    def join(shop, role=Role.OWNER):
        user = make_user(f"{role.value}-{shop.slug}@example.com", name="Staff")
        db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
        db.session.commit()
        sign_in(user)
        return user

    return join


def test_only_operators_reach_the_payout_console(
    app, client, make_user, sign_in, shop_a, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    pages = [
        ("GET", "/admin/payouts"),
        ("POST", "/admin/payouts/settings"),
        ("POST", "/admin/payouts/run"),
        ("GET", f"/admin/payouts/shops/{shop_a.id}"),
        ("POST", f"/admin/payouts/shops/{shop_a.id}/controls"),
    ]
    for method, path in pages:
        answer = client.open(path, method=method)
        assert answer.status_code == 302 and "/account/login" in answer.headers["Location"], path
    sign_in(make_user("someone@example.com"))
    for method, path in pages:
        assert client.open(path, method=method).status_code == 403, f"{method} {path}"


def test_a_shop_sees_its_own_payouts_and_never_another_shops(
    client, bolt, stripe_on, make_shop, member_of
):
    shop, stocked = bolt
    other = make_shop("other", name="Other Shop")
    other_stock = stock_shop(other, price=4000, quantity=5)
    sell_and_release(client, stripe_on, stocked)
    sell_and_release(client, stripe_on, other_stock)
    pay_out()
    mine = payouts_of(shop.id)[0].id
    theirs = payouts_of(other.id)[0].id
    member_of(shop)
    page = client.get(f"/shop/bolt/admin/payouts/{mine}")
    assert page.status_code == 200
    assert "Bank transfer by the mall" in page.get_data(as_text=True)
    assert client.get(f"/shop/bolt/admin/payouts/{theirs}").status_code == 404
    assert client.get(f"/shop/other/admin/payouts/{theirs}").status_code in (403, 404)
    assert client.get("/shop/bolt/admin/payouts").status_code == 200


def test_staff_without_rights_cannot_change_payout_settings(client, bolt, member_of):
    from mall.shops.models import Role

    member_of(bolt[0], Role.STAFF)
    assert client.get("/shop/bolt/admin/payouts").status_code == 403
    answer = client.post("/shop/bolt/admin/payouts", data={"stripe_account_id": "acct_1Xxxxxxxx"})
    assert answer.status_code == 403


# ---------------------------------------------------------------- the operator's console


def test_the_operator_runs_exports_and_pays_a_batch_from_the_pages(as_operator, bolt, stripe_on):
    shop, stocked = bolt
    client = as_operator
    sell_and_release(client, stripe_on, stocked)
    page = client.get("/admin/payouts")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bolt &amp; Nut" in text and "Run payouts now" in text
    assert "ada@example.com" not in text  # no customer's personal data
    answer = client.post("/admin/payouts/run", follow_redirects=True)
    assert "1 payout(s) made" in answer.get_data(as_text=True)
    (payout,) = payouts_of(shop.id)
    batch_path = f"/admin/payouts/batches/{payout.batch_id}"
    assert "Bank details are not in Mall" in client.get(batch_path).get_data(as_text=True)
    assert client.get(f"{batch_path}/csv").status_code == 303  # export first
    answer = client.post(f"{batch_path}/export")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(batch_path)
    csv_text = client.get(f"{batch_path}/csv").get_data(as_text=True)
    header, row = csv_text.strip().splitlines()
    assert header == "shop,shop_address,amount,currency,reference,payout_id"
    assert row.startswith("Bolt & Nut,bolt,") and str(payout.id) in row
    assert client.post(f"{batch_path}/paid").status_code == 303
    again = client.post(f"{batch_path}/paid", follow_redirects=True)
    assert "already" in again.get_data(as_text=True)
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.PAID
    shop_page = client.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "Mark returned" in shop_page
    answer = client.post(
        f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/returned",
        data={"reason": "Account closed"},
        follow_redirects=True,
    )
    assert "the shop is owed it again" in answer.get_data(as_text=True)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == payout.amount
    assert_ledger_invariant()


def test_a_paid_batchs_total_leaves_out_a_payout_returned_after(
    as_operator, bolt, make_shop, stripe_on
):
    from mall.money import format_money

    shop, stocked = bolt
    other = make_shop("other", name="Other Shop")
    sell_and_release(as_operator, stripe_on, stocked)
    sell_and_release(as_operator, stripe_on, stock_shop(other, price=4000, quantity=5))
    pay_out()
    (payout,) = payouts_of(shop.id)
    payout_id, returned_amount, batch_id = payout.id, payout.amount, payout.batch_id
    kept = payouts_of(other.id)[0].amount
    batch = db.session.get(PayoutBatch, batch_id)
    assert batch.total == kept + returned_amount
    export_batch(batch, actor_id=None)
    mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    with tenant_context(shop):
        assert mark_returned(get_payout(payout_id), reason="Account closed", actor_id=None)
    db.session.commit()
    batch = db.session.get(PayoutBatch, batch_id, populate_existing=True)
    assert (batch.total, batch.payouts_count) == (kept, 1)
    page = as_operator.get(f"/admin/payouts/batches/{batch_id}").get_data(as_text=True)
    assert f"{format_money(kept)} <span" in page
    assert "Returned after payment" in page and format_money(returned_amount) in page
    assert format_money(kept + returned_amount) in page  # what left the bank
    assert_ledger_invariant()


def test_close_and_export_shows_the_batch_closed_with_its_download(as_operator, bolt, stripe_on):
    shop, stocked = bolt
    sell_and_release(as_operator, stripe_on, stocked)
    pay_out()
    (payout,) = payouts_of(shop.id)
    batch_path = f"/admin/payouts/batches/{payout.batch_id}"
    assert "Close and export as CSV" in as_operator.get(batch_path).get_data(as_text=True)
    answer = as_operator.post(f"{batch_path}/export")
    # The POST closes the batch and sends the operator back to its page (no download here).
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(batch_path)
    assert "Content-Disposition" not in answer.headers
    page = as_operator.get(batch_path).get_data(as_text=True)
    assert "The batch is closed: download its CSV" in page
    assert "exported" in page and "Close and export as CSV" not in page
    assert f'href="{batch_path}/csv"' in page and "Mark the batch paid" in page
    download = as_operator.get(f"{batch_path}/csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert str(payout.id) in download.get_data(as_text=True)
    # A second submit (the back button, a double click) changes nothing and says so.
    again = as_operator.post(f"{batch_path}/export", follow_redirects=True)
    assert again.status_code == 200
    assert "closed already: nothing changed" in again.get_data(as_text=True)
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.SENT
    assert_ledger_invariant()


def test_the_operator_sets_a_reserve_and_a_hold(as_operator, bolt):
    shop, _ = bolt
    path = f"/admin/payouts/shops/{shop.id}/controls"
    bad = as_operator.post(path, data={"reserve_percent": "150", "reserve_days": "10"})
    assert bad.status_code == 400
    no_reason = as_operator.post(path, data={"payouts_held": "y", "hold_reason": ""})
    assert no_reason.status_code == 400
    done = as_operator.post(
        path,
        data={
            "reserve_percent": "12.5",
            "reserve_days": "30",
            "payouts_held": "y",
            "hold_reason": "Many disputes",
        },
    )
    assert done.status_code == 303
    from mall.ledger.connect import account_of

    db.session.expire_all()
    account = account_of(shop.id)
    assert (account.reserve_bp, account.reserve_days, account.payouts_held) == (1250, 30, True)
    assert account.hold_reason == "Many disputes"
    page = as_operator.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "held by the mall" in page and "Many disputes" in page


def test_the_operator_changes_the_holding_period_and_the_minimum(as_operator):
    from mall.ledger.payouts import payout_minimum
    from mall.ledger.release import holding_days

    bad = as_operator.post("/admin/payouts/settings", data={"holding_days": "-1", "minimum": "x"})
    assert bad.status_code == 400
    done = as_operator.post("/admin/payouts/settings", data={"holding_days": "14", "minimum": "25"})
    assert done.status_code == 303
    db.session.expire_all()
    assert holding_days() == 14 and payout_minimum() == 2500


def test_the_overview_costs_the_same_queries_for_more_shops(as_operator, make_shop, count_queries):
    make_shop("first", name="First")
    as_operator.get("/admin/payouts")  # warm
    with count_queries() as few:
        assert as_operator.get("/admin/payouts").status_code == 200
    for n in range(6):
        make_shop(f"more-{n}", name=f"More {n}")
    with count_queries() as many:
        assert as_operator.get("/admin/payouts").status_code == 200
    assert many.count == few.count


def test_the_overview_shows_what_is_payable_and_debts_apart(as_operator, acme, bolt, stripe_on):
    from mall.money import format_money

    shop, stocked = acme
    first = sell_and_release(as_operator, stripe_on, stocked, 2)
    pay_out()
    stripe_on.refuse_reversals = True
    refund_units(first)
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt == 1800
    manual_shop, manual_stock = bolt
    sell_and_release(as_operator, stripe_on, manual_stock)
    payable = owed(manual_shop.id, Account.SHOP_AVAILABLE)
    assert payable > 0
    page = as_operator.get("/admin/payouts").get_data(as_text=True)
    start = page.index('id="payout-totals"')
    totals = page[start : page.index("</dl>", start)]
    assert f'id="total-payable">{format_money(payable)}<' in totals
    assert f'id="total-debts">{format_money(debt)} ' in totals
    assert format_money(payable - debt) not in totals  # not summed together any more
    set_shop_controls(
        manual_shop, reserve_bp=0, reserve_days=0, held=True, hold_reason="Check", actor_id=None
    )
    db.session.commit()
    page = as_operator.get("/admin/payouts").get_data(as_text=True)
    assert f'id="total-payable">{format_money(0)}<' in page
    assert f'id="total-waiting">{format_money(payable)}<' in page


def test_run_payouts_now_releases_what_is_due_first(as_operator, bolt, stripe_on):
    shop, stocked = bolt
    put_setting("ledger.holding_days", 0)
    db.session.commit()
    (order,) = pay_by_card(as_operator, stripe_on, (stocked.variant_id, 1))
    ship_all(order)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # the hourly job has not run
    pending = owed(shop.id, Account.SHOP_PENDING)
    answer = as_operator.post("/admin/payouts/run", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "1 order(s) whose holding period is over released first" in text
    assert "1 payout(s) made" in text
    (payout,) = payouts_of(shop.id)
    assert payout.amount == pending
    assert owed(shop.id, Account.SHOP_PENDING) == 0
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == pending
    again = as_operator.post("/admin/payouts/run", follow_redirects=True).get_data(as_text=True)
    assert "released first" not in again and len(payouts_of(shop.id)) == 1
    assert_ledger_invariant()


def test_mark_returned_with_a_bad_reason_is_refused_with_the_text_kept(
    as_operator, bolt, stripe_on
):
    shop, stocked = bolt
    sell_and_release(as_operator, stripe_on, stocked)
    pay_out()
    (payout,) = payouts_of(shop.id)
    path = f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/returned"
    # Never sent: refused, with what to do instead.
    refused = as_operator.post(path, data={"reason": "Bounced"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "never sent" in text and "Take PO-" in text
    export_batch(db.session.get(PayoutBatch, payout.batch_id), actor_id=None)
    db.session.commit()
    empty = as_operator.post(path, data={"reason": "   "})
    assert empty.status_code == 400
    assert "Say what the bank said about the payout." in empty.get_data(as_text=True)
    typed = "The bank said: " + "x" * 300
    long = as_operator.post(path, data={"reason": typed})
    assert long.status_code == 400
    text = long.get_data(as_text=True)
    assert "at most 300 characters" in text
    assert f'value="{typed}"' in text  # what the operator typed is kept
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.SENT
    done = as_operator.post(path, data={"reason": "Wrong IBAN"})
    assert done.status_code == 303
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED and payout.failure_reason == "Wrong IBAN"
    assert_ledger_invariant()


def test_the_operator_takes_a_payout_out_of_the_open_batch_from_the_page(
    as_operator, bolt, stripe_on
):
    shop, stocked = bolt
    sell_and_release(as_operator, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    pay_out()
    (payout,) = payouts_of(shop.id)
    page = as_operator.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "Take out of the batch" in page and "Mark returned" not in page
    path = f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/cancel"
    answer = as_operator.post(path, follow_redirects=True)
    assert "taken out of its batch" in answer.get_data(as_text=True)
    again = as_operator.post(path, follow_redirects=True)
    assert "already" in again.get_data(as_text=True)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.CANCELLED
    assert_ledger_invariant()
