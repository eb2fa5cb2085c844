"""Invitations to a shop's private program by email: the owner invites an address (sealed,
never searched across shops, never in a URL, log, job or audit), the address gets a signed
link, the person signs in and accepts with their approved affiliate account (only the
invited address: a forwarded link is refused); replays, a second person, tampered or
expired links, a shop that turned its program off change nothing. Also the member-rate
form's field messages and current rate."""

from __future__ import annotations

import json
import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from affiliates.models import (
    AffiliateStatus,
    AffiliateTerms,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from mall import jobs
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.affiliates.test_attribution import make_affiliate, shop_terms
from tests.crawl.affiliates_private import make_member
from tests.support.mail import clear_outbox, link_in, sent_to, text_of
from tests.support.tokens import tampered

PRIVATE_A = "/shop/shop-a/admin/affiliates/private"
PRIVATE_B = "/shop/shop-b/admin/affiliates/private"
INVITED_ADDRESS = "Pat.Partner@Example.org"
SENT_TO = "Pat.Partner@example.org"  # the domain normalised, the mailbox as typed
JOIN = "/affiliates/invitations/join/"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(app, member_of_a, no_csrf, shop_a):
    shop_terms(shop_a, private_program=True, rate_kind=RateKind.PERCENT, rate_bp=800)
    clear_outbox(app)
    return member_of_a


@pytest.fixture
def sent_jobs(monkeypatch):
    """Every job dispatched after a commit (they still run)."""
    seen: list[jobs.PendingJob] = []
    real = jobs.dispatch

    def record(item):
        seen.append(item)
        real(item)

    monkeypatch.setattr(jobs, "dispatch", record)
    return seen


def text(response) -> str:
    return response.get_data(as_text=True)


def rows_of(shop) -> list[ShopAffiliate]:
    db.session.expire_all()  # the rows as the requests left them
    with tenant_context(shop):
        return list(db.session.scalars(sa.select(ShopAffiliate).order_by(ShopAffiliate.id)))


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def invite(client, email: str, path: str = PRIVATE_A):
    return client.post(f"{path}/invite-email", data={"email": email})


def invitation_path(app, address: str = SENT_TO) -> str:
    [message] = [m for m in sent_to(app, address) if "invites you" in m["Subject"]][-1:]
    return link_in(message, JOIN)


def invited_person(make_user, *, status=AffiliateStatus.APPROVED, email="pat.partner@example.org"):
    person = make_user(email, name="Pat Partner")
    return person, make_affiliate(person, status=status)


# ---------------------------------------------------------------- the shop invites


def test_the_owner_invites_an_address_once_sealed_and_emailed(
    app, client, owner, shop_a, sent_jobs
):
    first = invite(client, INVITED_ADDRESS)
    assert first.status_code == 303
    again = invite(client, "  pat.partner@example.org ")
    assert again.status_code == 303
    page = text(client.get(PRIVATE_A))
    assert "already invited: use Send again" in page
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.INVITED and row.affiliate_id is None
    assert b"partner" not in bytes(row.email_ct).lower()
    with tenant_context(shop_a):
        assert row.email == SENT_TO
    [message] = sent_to(app, SENT_TO)
    body = text_of(message)
    assert "Shop A" in message["Subject"] and "Shop A" in body and "8%" in body
    assert JOIN in body and "14 days" in body
    assert "partner" not in invitation_path(app).lower()
    # the address goes nowhere but the sealed column and the email itself
    assert all(
        "partner" not in json.dumps(event.details).lower()
        for event in db.session.scalars(sa.select(AuditEvent))
    )
    assert len(audits("affiliates.private_invited")) == 1
    assert [(item.args, item.tenant_id) for item in sent_jobs] == [
        ((str(shop_a.id), str(row.id)), str(shop_a.id))
    ]
    # the list shows the address masked, invited
    assert "P***@example.org" in page and "pat.partner@" not in page.lower()
    assert re.search(r"P\*\*\*@example\.org.*?Invited", page, re.S)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter the email address to invite."),
        ("not-an-address", "Enter a valid email address."),
    ],
)
def test_a_bad_address_comes_back_with_its_message_and_what_was_typed(
    client, owner, shop_a, typed, message
):
    response = invite(client, typed)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert f'value="{typed}"' in page if typed else 'id="email"' in page
    assert rows_of(shop_a) == []


def test_inviting_by_email_needs_the_private_program_on(client, member_of_a, no_csrf, shop_a):
    response = invite(client, INVITED_ADDRESS)
    assert response.status_code == 400
    assert "Turn on the private program" in text(response)
    assert rows_of(shop_a) == []


def test_two_shops_inviting_one_address_make_two_separate_invitations(
    app, client, owner, make_user, sign_in, shop_a, shop_b
):
    assert invite(client, INVITED_ADDRESS).status_code == 303
    shop_terms(shop_b, private_program=True)
    owner_b = make_user("owner-b@example.com")
    db.session.add(Membership(user_id=owner_b.id, tenant_id=shop_b.id, role=Role.OWNER))
    db.session.commit()
    sign_in(owner_b)
    assert invite(client, INVITED_ADDRESS, PRIVATE_B).status_code == 303
    assert "Invitation emailed" in text(client.get(PRIVATE_B))
    [a_row] = rows_of(shop_a)
    a_id, a_index = a_row.id, a_row.email_index
    [b_row] = rows_of(shop_b)
    assert a_index != b_row.email_index  # each shop's own index key
    assert client.post(f"{PRIVATE_B}/{a_id}/resend", data={"key": "x"}).status_code == 404
    assert client.post(f"{PRIVATE_B}/{a_id}/remove").status_code == 404
    assert rows_of(shop_a)[0].status is ShopAffiliateStatus.INVITED
    assert len(sent_to(app, SENT_TO)) == 2


def test_send_again_emails_once_per_click(app, client, owner, shop_a):
    invite(client, INVITED_ADDRESS)
    [row] = rows_of(shop_a)
    resend = f"{PRIVATE_A}/{row.id}/resend"
    with tenant_context(shop_a):
        row.rate_kind, row.rate_bp = RateKind.PERCENT, 1250
        db.session.commit()
    key = re.search(r'name="key" value="([0-9a-f]+)"', text(client.get(PRIVATE_A))).group(1)
    assert client.post(resend, data={"key": key}).status_code == 303
    assert client.post(resend, data={"key": key}).status_code == 303  # the same click again
    assert "nothing more was sent" in text(client.get(PRIVATE_A))
    messages = sent_to(app, SENT_TO)
    assert len(messages) == 2
    assert "12.5%" in text_of(messages[-1])
    assert len(audits("affiliates.private_invitation_resent")) == 1


def test_removing_an_email_invitation_closes_its_link(
    app, client, owner, make_user, sign_in, shop_a
):
    invite(client, INVITED_ADDRESS)
    [row] = rows_of(shop_a)
    path = invitation_path(app)
    assert client.post(f"{PRIVATE_A}/{row.id}/remove").status_code == 303
    assert "Removed" in text(client.get(PRIVATE_A))
    assert 'name="key"' not in text(client.get(PRIVATE_A))
    person, _ = invited_person(make_user)
    sign_in(person)
    closed = client.get(path)
    assert closed.status_code == 400
    assert "the shop withdrew it" in text(closed)


# ---------------------------------------------------------------- the link


def test_the_invited_affiliate_signs_in_and_accepts_once(
    app, client, owner, make_user, sign_in, shop_a
):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    with client.session_transaction() as session:  # signed out, the link opened
        session.clear()
    signed_out = client.get(path)
    assert signed_out.status_code == 302
    assert "/login" in signed_out.location and "next=" in signed_out.location

    person, affiliate = invited_person(make_user)
    sign_in(person)
    shown = client.get(path)
    assert shown.status_code == 200
    assert "Shop A" in text(shown) and "8%" in text(shown) and "Accept" in text(shown)
    accepted = client.post(path, data={"answer": "accept"})
    assert accepted.status_code == 303 and accepted.location.endswith("/affiliates/home")
    assert "You joined the private program of Shop A" in text(client.get("/affiliates/home"))
    assert client.post(path, data={"answer": "accept"}).status_code == 303  # a replay
    assert "nothing changed" in text(client.get("/affiliates/home"))
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.ACTIVE and row.affiliate_id == affiliate.id
    assert row.joined_at is not None
    assert row.email_ct is None and row.email_index is None
    assert len(audits("affiliates.private_accepted")) == 1
    assert "You are already in the private program" in text(client.get(path))
    page = text(client.get("/affiliates/home"))
    assert "Shop A" in page and "Member" in page

    # another person with the same link changes nothing
    other, _ = invited_person(make_user, email="other@example.net")
    sign_in(other)
    taken = client.post(path, data={"answer": "accept"})
    assert taken.status_code == 400
    assert "already answered" in text(taken)
    assert rows_of(shop_a)[0].affiliate_id == affiliate.id

    # the shop's list shows them active, by code
    sign_in(owner)
    listing = text(client.get(PRIVATE_A))
    assert affiliate.code in listing and "Active" in listing and "P***@" not in listing


def test_someone_not_yet_approved_is_told_to_apply_and_the_link_keeps_working(
    app, client, owner, make_user, sign_in, shop_a
):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    person = make_user("pat.partner@example.org")
    sign_in(person)
    shown = client.get(path)
    assert shown.status_code == 200
    assert "/affiliates/apply" in text(shown) and "keeps working" in text(shown)
    refused = client.post(path, data={"answer": "accept"})
    assert refused.status_code == 403
    assert "Only an approved affiliate" in text(refused)
    assert rows_of(shop_a)[0].status is ShopAffiliateStatus.INVITED

    make_affiliate(person)  # approved later: the same link now works
    assert client.post(path, data={"answer": "accept"}).status_code == 303
    assert rows_of(shop_a)[0].status is ShopAffiliateStatus.ACTIVE


def test_the_invited_person_declines_once(app, client, owner, make_user, sign_in, shop_a):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    person, _ = invited_person(make_user, status=AffiliateStatus.APPLIED)
    sign_in(person)
    assert client.post(path, data={"answer": "decline"}).status_code == 303
    assert client.post(path, data={"answer": "decline"}).status_code == 303
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.REMOVED and row.affiliate_id is None
    assert len(audits("affiliates.private_declined")) == 1
    assert client.get(path).status_code == 400
    sign_in(owner)
    assert "Removed" in text(client.get(PRIVATE_A))
    assert invite(client, INVITED_ADDRESS).status_code == 303  # invited again: the same row
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.INVITED


def test_an_affiliate_already_in_the_program_is_told_so(
    app, client, owner, make_user, sign_in, shop_a
):
    person, affiliate = invited_person(make_user)
    invite(client, INVITED_ADDRESS)
    make_member(shop_a, affiliate=affiliate)  # joined by code after the email was sent
    path = invitation_path(app)
    sign_in(person)
    assert "You are already in the private program of Shop A" in text(client.get(path))
    refused = client.post(path, data={"answer": "accept"})
    assert refused.status_code == 409
    assert "already in the private program of Shop A" in text(refused)
    statuses = sorted((r.status.value, r.affiliate_id is None) for r in rows_of(shop_a))
    assert statuses == [("active", False), ("invited", True)]


def test_an_affiliate_removed_before_rejoins_through_their_earlier_row(
    app, client, owner, make_user, sign_in, shop_a
):
    person, affiliate = invited_person(make_user)
    earlier = make_member(shop_a, affiliate=affiliate, status=ShopAffiliateStatus.REMOVED)
    invite(client, INVITED_ADDRESS)
    [email_row] = [r for r in rows_of(shop_a) if r.affiliate_id is None]
    with tenant_context(shop_a):
        email_row.rate_kind, email_row.rate_bp = RateKind.PERCENT, 1500
        db.session.commit()
    path = invitation_path(app)
    sign_in(person)
    assert client.post(path, data={"answer": "accept"}).status_code == 303
    assert client.post(path, data={"answer": "accept"}).status_code == 303
    [row] = rows_of(shop_a)
    assert (row.id, row.status, row.rate_bp) == (earlier, ShopAffiliateStatus.ACTIVE, 1500)
    assert len(audits("affiliates.private_accepted")) == 1


def test_a_tampered_or_expired_link_is_refused(
    app, client, owner, make_user, sign_in, shop_a, monkeypatch
):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    person, _ = invited_person(make_user)
    sign_in(person)
    token = path.rsplit("/", 1)[1]
    for bad in (tampered(token), "nonsense"):
        refused = client.post(JOIN + bad, data={"answer": "accept"})
        assert refused.status_code == 400
        assert "expired or is not valid" in text(refused)
    later = int(time.time()) + 15 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    expired = client.get(path)
    assert expired.status_code == 400
    assert "expired" in text(expired)
    monkeypatch.undo()
    assert rows_of(shop_a)[0].status is ShopAffiliateStatus.INVITED


def test_answering_needs_the_forms_token(app, client, member_of_a, shop_a, make_user, sign_in):
    shop_terms(shop_a, private_program=True)
    clear_outbox(app)
    token_page = client.get(PRIVATE_A)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(token_page))
    assert invite_with(client, csrf.group(1)).status_code == 303
    path = invitation_path(app)
    person, _ = invited_person(make_user)
    sign_in(person)
    refused = client.post(path, data={"answer": "accept"})
    assert refused.status_code == 400
    assert rows_of(shop_a)[0].status is ShopAffiliateStatus.INVITED


def invite_with(client, csrf: str):
    return client.post(
        f"{PRIVATE_A}/invite-email", data={"email": INVITED_ADDRESS, "csrf_token": csrf}
    )


def program_off(shop) -> None:
    with tenant_context(shop):
        db.session.scalar(sa.select(AffiliateTerms)).private_program = False
        db.session.commit()


def test_only_the_invited_address_can_answer_a_forwarded_link(
    app, client, owner, make_user, sign_in, shop_a
):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    other, _ = invited_person(make_user, email="friend@example.net")
    sign_in(other)
    shown = client.get(path)
    assert shown.status_code == 200
    page = text(shown)
    assert "This invitation was sent to P***@example.org: sign in with that account" in page
    assert 'value="accept"' not in page and "8%" not in page
    for answer in ("accept", "decline"):
        refused = client.post(path, data={"answer": answer})
        assert refused.status_code == 403
        assert "This invitation was sent to P***@example.org" in text(refused)
        assert "pat.partner@" not in text(refused).lower()
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.INVITED and row.affiliate_id is None
    assert audits("affiliates.private_accepted") == []

    person, affiliate = invited_person(make_user)  # the invited address, in any case
    sign_in(person)
    assert 'value="accept"' in text(client.get(path))
    assert client.post(path, data={"answer": "accept"}).status_code == 303
    assert rows_of(shop_a)[0].affiliate_id == affiliate.id


def test_a_link_of_a_shop_that_turned_its_private_program_off_is_refused(
    app, client, owner, make_user, sign_in, shop_a
):
    invite(client, INVITED_ADDRESS)
    path = invitation_path(app)
    program_off(shop_a)
    person, _ = invited_person(make_user)
    sign_in(person)
    shown = client.get(path)
    assert shown.status_code == 400
    assert "This shop no longer runs a private program" in text(shown)
    refused = client.post(path, data={"answer": "accept"})
    assert refused.status_code == 400
    assert "This shop no longer runs a private program" in text(refused)
    [row] = rows_of(shop_a)
    assert row.status is ShopAffiliateStatus.INVITED and row.affiliate_id is None
    assert audits("affiliates.private_accepted") == []


def test_inviting_an_address_already_active_in_the_program_is_refused(
    app, client, owner, make_user, shop_a
):
    _, affiliate = invited_person(make_user)
    member_id = make_member(shop_a, affiliate=affiliate)
    clear_outbox(app)
    refused = invite(client, INVITED_ADDRESS)
    assert refused.status_code == 400
    page = text(refused)
    assert f"That person is already in your private program (code {affiliate.code})" in page
    assert f'value="{INVITED_ADDRESS}"' in page  # what was typed stays
    [row] = rows_of(shop_a)
    assert (row.id, row.status) == (member_id, ShopAffiliateStatus.ACTIVE)
    assert sent_to(app, SENT_TO) == []
    assert audits("affiliates.private_invited") == []


def test_an_address_whose_affiliate_was_removed_can_be_invited_again(
    app, client, owner, make_user, shop_a
):
    _, affiliate = invited_person(make_user)
    make_member(shop_a, affiliate=affiliate, status=ShopAffiliateStatus.REMOVED)
    assert invite(client, INVITED_ADDRESS).status_code == 303
    assert len(sent_to(app, SENT_TO)) == 1


# ---------------------------------------------------------------- the member-rate form


def test_the_rate_form_shows_the_current_rate_and_a_bad_value_beside_its_field(
    client, owner, shop_a
):
    member_id = make_member(shop_a)
    good = client.post(
        f"{PRIVATE_A}/{member_id}/rate", data={"rate_kind": "percent", "rate_value": "12.5"}
    )
    assert good.status_code == 303
    page = text(client.get(PRIVATE_A))
    assert re.search(rf'id="value-{member_id}"[^>]*value="12.5"', page)
    assert re.search(r'<option value="percent" selected>', page)

    bad = client.post(
        f"{PRIVATE_A}/{member_id}/rate", data={"rate_kind": "fixed", "rate_value": "abc"}
    )
    assert bad.status_code == 400
    page = text(bad)
    field = re.search(rf'<input[^>]*id="value-{member_id}"[^>]*>', page).group(0)
    assert 'value="abc"' in field and 'aria-invalid="true"' in field
    assert f'aria-describedby="value-{member_id}-errors"' in field
    message = re.search(rf'id="value-{member_id}-errors"[^>]*>([^<]+)<', page).group(1)
    assert message.strip()
    assert re.search(r'<option value="fixed" selected>', page)
