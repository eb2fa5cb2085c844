"""Disputes per shop: a chargeback on a three-shop checkout freezes each shop's share, a won
dispute pays them again, a lost one stays on them; every event is applied once, in any order."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from mall.accounts.services import find_user_by_email
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import (
    Account,
    Dispute,
    DisputeShare,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
)
from mall.money import allocate
from mall.orders.refunds import RefundRequest, refund_order
from mall.shops.models import Membership, Role
from tenants.context import all_tenants, tenant_context
from tenants.settings import put_setting
from tests.support import stripe_checkout as stripe
from tests.support.mail import clear_outbox, sent, text_of
from tests.support.money import account_total, shop_owed
from tests.support.shopping import stock_shop
from tests.support.stripe_checkout import pay_with_stripe, send_event
from tests.support.stripe_stub import StripeStub

DUE_BY = int(time.time()) + 7 * 86400


stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@pytest.fixture
def shops(make_shop, make_user):
    """Three shops with an owner each and one product each; 10 % commission."""
    put_setting("commission.default_bp", 1000)
    made = []
    for slug, price, shipping in (("acme", 1000, 500), ("bolt", 2500, 700), ("cog", 999, 300)):
        shop = make_shop(slug, name=slug.capitalize())
        owner = make_user(f"owner@{slug}.example", name=f"Owner {slug}")
        db.session.add(Membership(user_id=owner.id, tenant_id=shop.id, role=Role.OWNER))
        db.session.commit()
        made.append(stock_shop(shop, price=price, quantity=5, shipping=shipping))
    return made


@pytest.fixture
def paid(client, stripe_on, shops):
    return pay_with_stripe(client, stripe_on, *[(stocked.variant_id, 1) for stocked in shops])


def dispute_object(paid, amount: int, *, status: str = "needs_response", ref: str = "du_1"):
    return {
        "id": ref,
        "object": "dispute",
        "amount": amount,
        "payment_intent": paid.intent,
        "charge": "ch_1",
        "reason": "product_not_received",
        "status": status,
        "evidence_details": {"due_by": DUE_BY},
    }


def shares() -> list[DisputeShare]:
    db.session.expire_all()
    with all_tenants("test: every share"):
        return list(db.session.scalars(sa.select(DisputeShare).order_by(DisputeShare.amount)))


def entries(kind: EntryKind) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == kind)
    )


def shop_balance(account: Account, shop) -> int:
    return account_total(account, shop.shop_id)


def test_a_dispute_freezes_each_shops_share_pro_rata_of_what_is_left(
    app, client, stripe_on, paid, shops
):
    _, bolt, _ = shops
    with tenant_context(bolt.shop_id):  # bolt gave some back already: less is left on its order
        order = paid.order_of(bolt.shop)
        refund_order(order, RefundRequest(amount=1200), actor_id=None, key="before")
    db.session.commit()
    paid.reload()
    left = [order.total - order.refunded_amount for order in paid.orders]
    pending = {s.shop_id: shop_balance(Account.SHOP_PENDING, s) for s in shops}
    processor = account_total(Account.PROCESSOR)
    clear_outbox(app)

    send_event(client, "charge.dispute.created", dispute_object(paid, 3000), event_id="evt_d1")

    dispute = db.session.scalar(sa.select(Dispute))
    assert dispute.amount == 3000 and dispute.status is DisputeStatus.NEEDS_RESPONSE
    assert dispute.evidence_due_by is not None and dispute.reason == "product_not_received"
    expected = dict(zip([o.id for o in paid.orders], allocate(3000, left), strict=True))
    assert {share.order_id: share.amount for share in shares()} == expected
    for stocked in shops:
        share = expected[paid.order_of(stocked.shop).id]
        assert shop_balance(Account.SHOP_DISPUTED, stocked) == -share  # frozen: owed, not payable
        assert shop_balance(Account.SHOP_PENDING, stocked) == pending[stocked.shop_id] + share
    assert account_total(Account.PROCESSOR) == processor - 3000
    assert account_total(Account.DISPUTES) == 3000
    # Each shop's owner is asked for evidence, with the deadline and a link; nothing personal.
    mails = sent(app)
    assert sorted(m["To"] for m in mails) == [
        "owner@acme.example",
        "owner@bolt.example",
        "owner@cog.example",
    ]
    body = text_of(mails[0])
    assert "deadline" in body and "/admin/disputes/" in body and "Ada" not in body
    assert verify_chain().ok


def test_replays_and_updates_change_nothing_but_the_deadline(client, stripe_on, paid):
    total = sum(order.total for order in paid.orders)
    created = dispute_object(paid, total)
    for event_id in ("evt_d1", "evt_d1", "evt_d2"):  # a replay, then a second delivery
        send_event(client, "charge.dispute.created", created, event_id=event_id)
    later = dict(created, status="under_review", evidence_details={"due_by": DUE_BY + 86400})
    send_event(client, "charge.dispute.updated", later, event_id="evt_d3")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 1
    assert len(shares()) == 3
    assert entries(EntryKind.DISPUTE) == 3
    dispute = db.session.scalar(sa.select(Dispute))
    assert dispute.status is DisputeStatus.UNDER_REVIEW
    assert int(dispute.evidence_due_by.timestamp()) == DUE_BY + 86400
    # The whole payment is held by the dispute; what is left is Stripe's fee, which it kept.
    assert account_total(Account.PROCESSOR) == -StripeStub.fee_for(total)
    assert verify_chain().ok


def test_a_won_dispute_pays_each_shop_again_once(client, stripe_on, paid, shops):
    total = sum(order.total for order in paid.orders)
    owed = {s.shop_id: shop_balance(Account.SHOP_PENDING, s) for s in shops}
    send_event(client, "charge.dispute.created", dispute_object(paid, total), event_id="evt_d1")
    won = dispute_object(paid, total, status="won")
    for event_id in ("evt_won", "evt_won", "evt_won_again"):
        send_event(client, "charge.dispute.closed", won, event_id=event_id)
    assert entries(EntryKind.DISPUTE_WON) == 3
    for stocked in shops:
        assert shop_balance(Account.SHOP_DISPUTED, stocked) == 0
        # Frozen from pending, paid again to available: the shop is owed what it was owed.
        both = shop_balance(Account.SHOP_PENDING, stocked) + shop_balance(
            Account.SHOP_AVAILABLE, stocked
        )
        assert both == owed[stocked.shop_id]
    assert account_total(Account.PROCESSOR) == total - StripeStub.fee_for(total)
    assert account_total(Account.DISPUTES) == 0
    assert {share.status for share in shares()} == {DisputeStatus.WON}
    assert verify_chain().ok


def test_a_lost_dispute_stays_on_the_shops(client, stripe_on, paid, shops):
    total = sum(order.total for order in paid.orders)
    owed = {s.shop_id: shop_owed(s.shop_id) for s in shops}
    send_event(client, "charge.dispute.created", dispute_object(paid, total), event_id="evt_d1")
    lost = dispute_object(paid, total, status="lost")
    send_event(client, "charge.dispute.closed", lost, event_id="evt_lost")
    send_event(client, "charge.dispute.closed", lost, event_id="evt_lost_2")
    assert entries(EntryKind.DISPUTE_LOST) == 3
    for stocked in shops:
        share = next(s.amount for s in shares() if s.tenant_id == stocked.shop_id)
        assert shop_balance(Account.SHOP_DISPUTED, stocked) == 0
        assert shop_owed(stocked.shop_id) == owed[stocked.shop_id] - share
    assert account_total(Account.DISPUTES) == 0
    assert account_total(Account.PROCESSOR) == -StripeStub.fee_for(total)
    assert verify_chain().ok


def test_a_closing_event_that_arrives_first_opens_and_closes(client, stripe_on, paid, shops):
    total = sum(order.total for order in paid.orders)
    send_event(
        client, "charge.dispute.closed", dispute_object(paid, total, status="won"), event_id="e1"
    )
    send_event(client, "charge.dispute.created", dispute_object(paid, total), event_id="e2")
    assert entries(EntryKind.DISPUTE) == 3 and entries(EntryKind.DISPUTE_WON) == 3
    assert db.session.scalar(sa.select(Dispute.status)) is DisputeStatus.WON
    assert account_total(Account.PROCESSOR) == total - StripeStub.fee_for(total)
    assert all(shop_balance(Account.SHOP_DISPUTED, s) == 0 for s in shops)
    assert verify_chain().ok


def test_an_inquiry_moves_no_money(client, stripe_on, paid):
    inquiry = dispute_object(paid, 500, status="warning_needs_response")
    send_event(client, "charge.dispute.created", inquiry, event_id="evt_inquiry")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 0
    assert entries(EntryKind.DISPUTE) == 0


# ---------------------------------------------------------------- the pages


@pytest.fixture
def disputed(client, stripe_on, paid):
    total = sum(order.total for order in paid.orders)
    send_event(client, "charge.dispute.created", dispute_object(paid, total), event_id="evt_d1")
    return {share.tenant_id: share for share in shares()}


def sign_in_owner(client, sign_in, slug: str):
    sign_in(find_user_by_email(f"owner@{slug}.example"))


def test_a_shop_sees_its_share_and_sends_evidence(client, sign_in, shops, disputed):
    acme = shops[0]
    share = disputed[acme.shop_id]
    sign_in_owner(client, sign_in, "acme")
    listing = client.get("/shop/acme/admin/disputes/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert share.order.number in page and "Bolt" not in page
    path = f"/shop/acme/admin/disputes/{share.id}"
    assert client.get(path).status_code == 200
    assert client.post(f"{path}/evidence", data={"evidence": ""}).status_code == 422
    response = client.post(f"{path}/evidence", data={"evidence": "Delivered, tracking 1Z999."})
    assert response.status_code == 303
    db.session.expire_all()
    with tenant_context(acme.shop_id):
        assert db.session.get(DisputeShare, (acme.shop_id, share.id)).evidence_submitted_at


def test_another_shops_share_is_not_found(client, sign_in, shops, disputed):
    _, bolt, _ = shops
    theirs = disputed[bolt.shop_id]
    sign_in_owner(client, sign_in, "acme")
    assert client.get(f"/shop/acme/admin/disputes/{theirs.id}").status_code == 404
    response = client.post(
        f"/shop/acme/admin/disputes/{theirs.id}/evidence", data={"evidence": "x"}
    )
    assert response.status_code == 404
    assert client.get(f"/shop/bolt/admin/disputes/{theirs.id}").status_code in (403, 404)
    db.session.expire_all()
    with tenant_context(bolt.shop_id):
        assert db.session.get(DisputeShare, (bolt.shop_id, theirs.id)).evidence == ""


def test_the_operator_sends_the_evidence_once_then_it_is_closed(
    client, sign_in, operator, stripe_on, shops, disputed
):
    acme = shops[0]
    share = disputed[acme.shop_id]
    sign_in_owner(client, sign_in, "acme")
    client.post(f"/shop/acme/admin/disputes/{share.id}/evidence", data={"evidence": "Delivered."})
    sign_in(operator)
    dispute_id = share.dispute_id
    page = client.get(f"/admin/money/disputes/{dispute_id}").get_data(as_text=True)
    assert share.order.number in page and "Delivered." not in page  # shops' words stay unread
    for _ in range(2):
        assert client.post(f"/admin/money/disputes/{dispute_id}/send").status_code == 303
    (sent_once,) = stripe_on.posts("/v1/disputes/du_1")
    assert sent_once.params["submit"] == "true"
    assert "Delivered." in sent_once.params["evidence[uncategorized_text]"]
    assert sent_once.idempotency_key
    sign_in_owner(client, sign_in, "acme")
    late = client.post(f"/shop/acme/admin/disputes/{share.id}/evidence", data={"evidence": "More"})
    assert late.status_code == 409
    assert "already sent" in late.get_data(as_text=True)


def test_operator_pages_are_for_operators_only(client, sign_in, shops, disputed):
    sign_in_owner(client, sign_in, "acme")
    dispute_id = next(iter(disputed.values())).dispute_id
    for path in ("/admin/money/disputes", f"/admin/money/disputes/{dispute_id}"):
        assert client.get(path).status_code == 403
    assert client.post(f"/admin/money/disputes/{dispute_id}/send").status_code == 403


def test_the_dispute_list_costs_the_same_whatever_its_length(
    client, sign_in, operator, stripe_on, paid, count_queries
):
    sign_in(operator)
    counts = []
    for n in range(1, 4):
        dispute = dispute_object(paid, 100, ref=f"du_{n}")
        send_event(client, "charge.dispute.created", dispute, event_id=f"evt_{n}")
        with count_queries() as q:
            assert client.get("/admin/money/disputes").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[-1]
