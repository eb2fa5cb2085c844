"""After an account's new email address is confirmed, its newsletters go to the new address:
the mall's subscription (linked or under the old address) and each shop's (linked) follow it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.newsletters.models import ConsentSource, MallSubscription, Subscription
from mall.newsletters.services import find_subscription, subscribe, unsubscribe
from tenants.context import tenant_context
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mail import link_in, sent_to

OLD = "eli.old@example.com"
NEW = "eli.new@example.com"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def change_email(app, client) -> str:
    """Ask for the change (password re-typed) and open the link sent to the new address."""
    response = client.post("/account/email", data={"new_email": NEW, "password": DEFAULT_PASSWORD})
    assert response.status_code in (302, 303)
    link = link_in(sent_to(app, NEW)[-1], "/account/verify/")
    client.get(link)
    db.session.expire_all()
    return link


def box(page: str, element_id: str) -> str:
    return re.search(rf'<input[^>]*id="{element_id}"[^>]*>', page).group(0)


def test_the_subscriptions_follow_the_confirmed_new_address(
    app, client, make_user, sign_in, shop_a, shop_b, no_csrf
):
    eli = make_user(OLD)
    subscribe(OLD, source=ConsentSource.CHECKOUT, mall=True)  # ticked at a guest checkout
    with tenant_context(shop_a):
        subscribe(OLD, source=ConsentSource.CHECKOUT, user_id=eli.id)
    with tenant_context(shop_b):
        subscribe("someone.else@example.com", source=ConsentSource.CHECKOUT)
    db.session.commit()
    sign_in(eli)

    link = change_email(app, client)

    page = client.get("/account/emails").get_data(as_text=True)
    assert "checked" in box(page, "mall")
    assert "checked" in box(page, f"shop-{shop_a.id.hex}")
    assert find_subscription(OLD, mall=True) is None
    mall = find_subscription(NEW, mall=True)
    assert mall.subscribed and mall.user_id == eli.id
    with tenant_context(shop_a):
        assert find_subscription(OLD) is None
        row = find_subscription(NEW)
        assert row.subscribed and row.email == NEW  # the next newsletter goes there
    with tenant_context(shop_b):
        assert find_subscription("someone.else@example.com").email == "someone.else@example.com"

    client.get(link)  # the link opened again changes nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MallSubscription)) == 1


def test_a_row_already_under_the_new_address_leaves_one_with_the_latest_choice(
    app, client, make_user, sign_in, shop_a, no_csrf
):
    eli = make_user(OLD)
    earlier = utcnow() - timedelta(days=30)
    with tenant_context(shop_a):
        stale = subscribe(NEW, source=ConsentSource.CHECKOUT)  # the new address, long ago
        unsubscribe(stale)
        stale.consented_at = stale.unsubscribed_at = earlier
        subscribe(OLD, source=ConsentSource.ACCOUNT, user_id=eli.id)  # the account's, lately
    old_mall = subscribe(OLD, source=ConsentSource.ACCOUNT, user_id=eli.id, mall=True)
    unsubscribe(old_mall)  # she opted out of the mall's newsletter lately...
    new_mall = subscribe(NEW, source=ConsentSource.CHECKOUT, mall=True)
    new_mall.consented_at = earlier  # ...after the new address had ticked it long ago
    db.session.commit()
    sign_in(eli)

    change_email(app, client)

    with tenant_context(shop_a):
        (row,) = db.session.scalars(sa.select(Subscription)).all()
        assert row.email == NEW and row.subscribed and row.user_id == eli.id
    (mall,) = db.session.scalars(sa.select(MallSubscription)).all()
    assert mall.email == NEW and not mall.subscribed  # her latest choice stands
