"""An altered or misplaced ciphertext degrades the page ("[unreadable]"), never the code.

Pages show "[unreadable]" where the value would be and log its table, column
and row id once (never the value); code that acts on the value (sending an
email) still fails with ``CiphertextInvalid`` instead of using garbage.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import render_template_string

from mall.accounts import services as account_services
from mall.db import utcnow
from mall.extensions import db
from mall.shops.models import Invitation, Membership, Role
from tenants.context import tenant_context
from tenants.keys import CiphertextInvalid, reveal
from tenants.keys.masking import mask_email
from tests.support.mail import clear_outbox, sent

STAFF = "/shop/shop-a/admin/staff"
KEYS_LOG = "tenants.keys.fields"
UNREADABLE = "[unreadable]"


def flipped(sealed: bytes, position: int = -1) -> bytes:
    """``sealed`` with one bit of one byte flipped (by default in the tag)."""
    tampered = bytearray(sealed)
    tampered[position] ^= 0x01
    return bytes(tampered)


def unreadable_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == KEYS_LOG and "cannot open" in r.getMessage()]


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner@example.com", name="Olga Owner")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


@pytest.fixture
def tampered_member(shop_a, make_user):
    """A member of shop A whose sealed name has one flipped byte and whose email is another's."""
    other = make_user("someone-else@example.com", name="Someone Else")
    user = make_user("grace@example.com", name="Grace Hopper")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.STAFF))
    user.name_ct = flipped(user.name_ct)
    user.email_ct = other.email_ct  # a value copied from another row
    db.session.commit()
    return user


def test_the_staff_page_shows_unreadable_values_and_logs_them_once(
    client, owner, tampered_member, caplog
):
    caplog.set_level(logging.ERROR, logger=KEYS_LOG)
    for _ in range(2):
        response = client.get(STAFF)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count(UNREADABLE) >= 2  # the name and the (masked) email
        assert "Olga Owner" in page  # the other members still show
    records = unreadable_logs(caplog)
    logged = [r.getMessage() for r in records]
    assert len(records) == 2, logged  # one per place, not one per request
    assert any(f"users.name of row {tampered_member.id}" in m for m in logged)
    assert any(f"users.email of row {tampered_member.id}" in m for m in logged)
    for text in ("Grace", "grace@", "someone-else", "Someone Else"):
        assert text not in caplog.text


def test_a_tampered_invitation_email_is_unreadable_on_the_staff_page(client, owner, shop_a):
    with tenant_context(shop_a):
        invitation = Invitation(
            email="new@example.com",
            role=Role.STAFF,
            invited_by_id=owner.id,
            expires_at=utcnow() + timedelta(days=3),
        )
        db.session.add(invitation)
        db.session.flush()
        invitation.email_ct = flipped(invitation.email_ct, 20)
        db.session.commit()
    response = client.get(STAFF)
    assert response.status_code == 200
    assert UNREADABLE in response.get_data(as_text=True)


def test_the_account_page_works_with_an_email_copied_from_another_row(client, make_user, sign_in):
    other = make_user("other@example.com")
    user = make_user("ada@example.com", name="Ada Lovelace")
    user.email_ct = other.email_ct
    db.session.commit()
    sign_in(user)
    response = client.get("/account/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Signed in as <strong>{UNREADABLE}</strong>" in page
    assert "other@example.com" not in page


def test_the_account_page_works_with_a_tampered_name(client, make_user, sign_in):
    user = make_user("ada@example.com", name="Ada Lovelace")
    user.name_ct = flipped(user.name_ct)
    db.session.commit()
    sign_in(user)
    response = client.get("/account/")
    assert response.status_code == 200
    assert UNREADABLE in response.get_data(as_text=True)


def test_code_that_acts_on_the_value_still_fails(app, app_ctx, make_user):
    user = make_user("ada@example.com", name="Ada Lovelace")
    user.email_ct = flipped(user.email_ct)
    db.session.commit()
    with pytest.raises(CiphertextInvalid) as raised:
        _ = user.email
    assert raised.value.place == f"users.email of row {user.id}"
    assert reveal(user, "email") == UNREADABLE
    clear_outbox(app)
    account_services.request_password_reset("ada@example.com")  # found by its blind index
    with pytest.raises(CiphertextInvalid):
        db.session.commit()  # the email job runs and refuses to send to garbage
    assert sent(app) == []


def test_templates_and_masks_degrade_for_any_encrypted_field(app_ctx, make_user):
    user = make_user("ada@example.com", name="Ada Lovelace")
    user.name_ct = flipped(user.name_ct, 10)  # inside the nonce
    page = render_template_string("{{ user.name }} / {{ user['name'] }}", user=user)
    assert page == f"{UNREADABLE} / {UNREADABLE}"
    assert mask_email(UNREADABLE) == UNREADABLE
