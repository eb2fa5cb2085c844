"""A shop's private program: the owner invites an approved affiliate by code, sets their
rate, removes them; the affiliate accepts or declines on their page (not once the shop
turned the program off); a private affiliate earns at that shop only, and no other shop
ever sees them; a deleted account leaves every shop's program."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from affiliates.models import (
    AffiliateStatus,
    AffiliateTerms,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from affiliates.programs.private import leave_private_programs, set_member_rate
from mall.accounts.erasure import erase_account
from mall.accounts.models import User
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.affiliates.test_attribution import (
    click_entry,
    commissions_of,
    make_affiliate,
    paid_order,
    shop_terms,
    winner,
)
from tests.conftest import DEFAULT_PASSWORD
from tests.crawl.affiliates_private import make_member

PRIVATE_A = "/shop/shop-a/admin/affiliates/private"
PRIVATE_B = "/shop/shop-b/admin/affiliates/private"
HOME = "/affiliates/home"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(member_of_a, no_csrf, shop_a):
    shop_terms(shop_a, private_program=True)
    return member_of_a


def text(response) -> str:
    return response.get_data(as_text=True)


def row_of(shop, affiliate) -> ShopAffiliate | None:
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(ShopAffiliate).where(ShopAffiliate.affiliate_id == affiliate.id)
        )


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def invite(client, code: str):
    return client.post(f"{PRIVATE_A}/invite", data={"code": code})


# ---------------------------------------------------------------- the shop's side


def test_the_owner_invites_an_approved_affiliate_once(client, owner, shop_a):
    affiliate = make_affiliate()
    first = invite(client, affiliate.code.lower())
    assert first.status_code == 303
    again = invite(client, affiliate.code)
    assert again.status_code == 303
    page = client.get(PRIVATE_A)
    assert page.status_code == 200
    assert affiliate.code in text(page)
    assert "Invited" in text(page)
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.INVITED
    assert len(audits("affiliates.private_invited")) == 1


@pytest.mark.parametrize(
    "code, message",
    [
        ("", "Enter the affiliate&#39;s code."),
        ("NOBODY-1", "No approved affiliate has that code."),
    ],
)
def test_a_bad_code_comes_back_with_a_message(client, owner, code, message):
    response = invite(client, code)
    assert response.status_code == 400
    assert message in text(response)


def test_an_affiliate_not_approved_cannot_be_invited(client, owner):
    waiting = make_affiliate(status=AffiliateStatus.SUSPENDED)
    response = invite(client, waiting.code)
    assert response.status_code == 400
    assert "No approved affiliate has that code." in text(response)


def test_inviting_needs_the_private_program_on(client, member_of_a, no_csrf, shop_a):
    affiliate = make_affiliate()
    response = invite(client, affiliate.code)
    assert response.status_code == 400
    assert "Turn on the private program" in text(response)
    assert row_of(shop_a, affiliate) is None


def test_the_owner_sets_a_private_rate_validated_like_product_rates(client, owner, shop_a):
    member_id = make_member(shop_a)
    bad = client.post(
        f"{PRIVATE_A}/{member_id}/rate", data={"rate_kind": "percent", "rate_value": "140"}
    )
    assert bad.status_code == 400
    good = client.post(
        f"{PRIVATE_A}/{member_id}/rate", data={"rate_kind": "percent", "rate_value": "12.5"}
    )
    assert good.status_code == 303
    assert "12.5%" in text(client.get(PRIVATE_A))
    fixed = client.post(
        f"{PRIVATE_A}/{member_id}/rate", data={"rate_kind": "fixed", "rate_value": "0"}
    )
    assert fixed.status_code == 400
    assert len(audits("affiliates.private_rate_set")) == 1


def test_removal_is_idempotent_and_the_affiliate_can_be_invited_again(client, owner, shop_a):
    affiliate = make_affiliate()
    member_id = make_member(shop_a, affiliate=affiliate)
    assert client.post(f"{PRIVATE_A}/{member_id}/remove").status_code == 303
    assert client.post(f"{PRIVATE_A}/{member_id}/remove").status_code == 303
    assert len(audits("affiliates.private_removed")) == 1
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.REMOVED
    assert invite(client, affiliate.code).status_code == 303
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.INVITED


def test_staff_without_settings_rights_are_refused(client, make_user, sign_in, shop_a, no_csrf):
    clerk = make_user("clerk@example.com")
    db.session.add(Membership(user_id=clerk.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(clerk)
    assert client.get(PRIVATE_A).status_code == 403


def test_shop_b_never_sees_shop_as_private_affiliates(
    client, make_user, sign_in, shop_a, shop_b, no_csrf
):
    affiliate = make_affiliate()
    a_member = make_member(shop_a, affiliate=affiliate)
    owner_b = make_user("owner-b@example.com")
    db.session.add(Membership(user_id=owner_b.id, tenant_id=shop_b.id, role=Role.OWNER))
    db.session.commit()
    sign_in(owner_b)
    page = client.get(PRIVATE_B)
    assert page.status_code == 200
    assert affiliate.code not in text(page)
    assert "You have not invited any affiliate yet." in text(page)
    assert client.post(f"{PRIVATE_B}/{a_member}/remove").status_code == 404
    assert client.post(f"{PRIVATE_B}/{a_member}/rate", data={"rate_kind": ""}).status_code == 404
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.ACTIVE


# ---------------------------------------------------------------- the affiliate's side


def test_the_affiliate_accepts_an_invitation_on_their_page(
    client, make_user, sign_in, shop_a, shop_b, no_csrf
):
    shop_terms(shop_a, private_program=True)
    person = make_user("aff@example.com")
    affiliate = make_affiliate(person)
    member_id = make_member(shop_a, affiliate=affiliate, status=ShopAffiliateStatus.INVITED)
    sign_in(person)
    home = text(client.get(HOME))
    assert "Shop A" in home and "Invited" in home
    assert "Shop B" not in home
    accept = f"/affiliates/invitations/{shop_a.id}/{member_id}/accept"
    assert client.post(accept).status_code == 303
    assert client.post(accept).status_code == 303
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.ACTIVE
    assert len(audits("affiliates.private_accepted")) == 1
    assert "Member" in text(client.get(HOME))


def test_the_affiliate_declines_and_cannot_answer_anothers_invitation(
    client, make_user, sign_in, shop_a, no_csrf
):
    person = make_user("aff@example.com")
    affiliate = make_affiliate(person)
    other_id = make_member(shop_a, status=ShopAffiliateStatus.INVITED)
    mine_id = make_member(shop_a, affiliate=affiliate, status=ShopAffiliateStatus.INVITED)
    sign_in(person)
    refused = client.post(f"/affiliates/invitations/{shop_a.id}/{other_id}/accept")
    assert refused.status_code == 303
    assert "not yours" in text(client.get(HOME))
    with tenant_context(shop_a):
        other = db.session.get(ShopAffiliate, (shop_a.id, other_id))
        assert other.status is ShopAffiliateStatus.INVITED
    client.post(f"/affiliates/invitations/{shop_a.id}/{mine_id}/decline")
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.REMOVED
    assert "Shop A" not in text(client.get(HOME))


def test_an_invitation_cannot_be_accepted_once_the_shop_turned_its_program_off(
    client, make_user, sign_in, shop_a, no_csrf
):
    shop_terms(shop_a, private_program=True)
    person = make_user("aff@example.com")
    affiliate = make_affiliate(person)
    member_id = make_member(shop_a, affiliate=affiliate, status=ShopAffiliateStatus.INVITED)
    with tenant_context(shop_a):
        db.session.scalar(sa.select(AffiliateTerms)).private_program = False
        db.session.commit()
    sign_in(person)
    refused = client.post(f"/affiliates/invitations/{shop_a.id}/{member_id}/accept")
    assert refused.status_code == 303
    assert "This shop no longer runs a private program" in text(client.get(HOME))
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.INVITED
    assert audits("affiliates.private_accepted") == []
    # declining still clears it from their page
    assert (
        client.post(f"/affiliates/invitations/{shop_a.id}/{member_id}/decline").status_code == 303
    )
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.REMOVED


def test_a_deleted_affiliate_leaves_every_shops_private_program(
    client, owner, shop_a, shop_b, make_user, sign_in
):
    affiliate, bystander = make_affiliate(), make_affiliate()
    make_member(shop_a, affiliate=affiliate)
    make_member(shop_b, affiliate=affiliate, status=ShopAffiliateStatus.INVITED)
    make_member(shop_a, affiliate=bystander)
    assert leave_private_programs(affiliate.id) == 2
    db.session.commit()
    assert leave_private_programs(affiliate.id) == 0  # a second run changes nothing
    db.session.expire_all()
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.REMOVED
    assert row_of(shop_b, affiliate).status is ShopAffiliateStatus.REMOVED
    assert row_of(shop_a, bystander).status is ShopAffiliateStatus.ACTIVE
    page = text(client.get(PRIVATE_A))
    assert "Removed" in page and "Active" in page  # the bystander stays active


def test_deleting_the_account_removes_the_affiliate_from_shops_lists(
    app, client, owner, shop_a, shop_b, make_user
):
    person = make_user("leaving@example.com")
    affiliate = make_affiliate(person)
    make_member(shop_a, affiliate=affiliate)
    make_member(shop_b, affiliate=affiliate, status=ShopAffiliateStatus.INVITED)
    erase_account(db.session.get(User, person.id), password=DEFAULT_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert row_of(shop_a, affiliate).status is ShopAffiliateStatus.REMOVED
    assert row_of(shop_b, affiliate).status is ShopAffiliateStatus.REMOVED
    page = text(client.get(PRIVATE_A))
    assert affiliate.code in page and "Removed" in page and "Active" not in page


# ---------------------------------------------------------------- earning


def test_a_private_affiliate_earns_at_their_shop_only(app_ctx, shop_a, shop_b):
    shop_terms(shop_a, in_mall_program=False, private_program=True)
    shop_terms(shop_b, in_mall_program=False, private_program=True)
    affiliate = make_affiliate()
    make_member(shop_a, affiliate=affiliate)
    entry = click_entry(affiliate, days_ago=1)
    order_a = paid_order(shop_a, referral=[entry])
    order_b = paid_order(shop_b, referral=[entry])
    assert winner(shop_a, order_a) == affiliate
    assert commissions_of(shop_b, order_b) == []


def test_a_private_affiliate_earns_their_own_rate(app_ctx, shop_a):
    shop_terms(shop_a, in_mall_program=False, private_program=True)
    affiliate = make_affiliate()
    member_id = make_member(shop_a, affiliate=affiliate)
    with tenant_context(shop_a):
        row = db.session.get(ShopAffiliate, (shop_a.id, member_id))
        assert set_member_rate(row, rate_kind=RateKind.PERCENT, rate_bp=1000, actor_id=None)
    db.session.commit()
    order = paid_order(shop_a, referral=[click_entry(affiliate, days_ago=1)])
    [made] = commissions_of(shop_a, order)
    assert (made.rule, made.rate_bp, made.amount) == ("private", 1000, 240)


def test_a_removed_or_only_invited_affiliate_earns_nothing_outside_the_mall(app_ctx, shop_a):
    shop_terms(shop_a, in_mall_program=False, private_program=True)
    invited = make_affiliate()
    make_member(shop_a, affiliate=invited, status=ShopAffiliateStatus.INVITED)
    order = paid_order(shop_a, referral=[click_entry(invited, days_ago=1)])
    assert commissions_of(shop_a, order) == []
