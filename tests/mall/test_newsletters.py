"""Newsletter subscriptions: consent recorded and sealed, the one-click unsubscribe link
(no session, idempotent, RFC 8058 POST without CSRF, GET only asks), email preferences."""

from __future__ import annotations

import re
from types import SimpleNamespace

import sqlalchemy as sa

from mall.extensions import db
from mall.newsletters.models import (
    ConsentSource,
    MallSubscription,
    Subscription,
    SubscriptionStatus,
)
from mall.newsletters.services import find_subscription, subscribe, unsubscribe
from mall.newsletters.tokens import unsubscribe_token
from tenants.context import tenant_context
from tests.support.tokens import tampered


def shop_subscription(shop, email="nia@example.com", **kw):
    """Subscribe ``email`` to ``shop``'s newsletter (committed); a namespace with its id."""
    with tenant_context(shop):
        row = subscribe(email, source=kw.pop("source", ConsentSource.ACCOUNT), **kw)
        found = SimpleNamespace(id=row.id)
        db.session.commit()
    return found


def status_of(shop, subscription_id) -> SubscriptionStatus:
    with tenant_context(shop):
        return db.session.get(Subscription, (shop.id, subscription_id)).status


def test_consent_is_recorded_and_the_email_sealed_in_the_shops_scope(app_ctx, shop_a):
    row = shop_subscription(shop_a, "Nia@Example.com", source=ConsentSource.CHECKOUT)
    with tenant_context(shop_a):  # row-level security: only in the shop's context
        raw = db.session.execute(
            sa.text("SELECT email, source, consented_at FROM newsletter_subscriptions")
        ).one()
    assert b"nia@example.com" not in bytes(raw.email).lower()
    assert raw.source == "checkout" and raw.consented_at is not None
    with tenant_context(shop_a):
        assert find_subscription("nia@example.com").id == row.id  # by the blind index
        assert find_subscription("NIA@example.com ").email == "Nia@Example.com"


def test_a_shops_subscriptions_are_its_own(app_ctx, shop_a, shop_b):
    shop_subscription(shop_a)
    with tenant_context(shop_b):
        assert find_subscription("nia@example.com") is None
        assert db.session.scalars(sa.select(Subscription)).all() == []


def test_subscribing_twice_keeps_one_row_and_after_opt_out_records_new_consent(app_ctx, shop_a):
    first = shop_subscription(shop_a)
    again = shop_subscription(shop_a)
    assert again.id == first.id
    with tenant_context(shop_a):
        row = find_subscription("nia@example.com")
        assert unsubscribe(row) is True
        assert unsubscribe(row) is False  # idempotent
        db.session.commit()
        assert row.unsubscribed_at is not None
        back = subscribe("nia@example.com", source=ConsentSource.CHECKOUT)
        assert back.id == first.id and back.subscribed and back.unsubscribed_at is None
        assert back.source is ConsentSource.CHECKOUT


def test_the_mall_subscription_is_a_platform_row(app_ctx):
    row = subscribe("nia@example.com", source=ConsentSource.ACCOUNT, mall=True)
    db.session.commit()
    assert isinstance(row, MallSubscription)
    assert find_subscription("nia@example.com", mall=True).id == row.id


# ---------------------------------------------------------------- the unsubscribe link


def test_get_only_asks_and_never_unsubscribes(app, client, shop_a):
    row = shop_subscription(shop_a)
    token = unsubscribe_token(shop_a.id, row.id)
    response = client.get(f"/emails/unsubscribe/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Unsubscribe" in page and shop_a.name in page
    assert "nia@example.com" not in page  # the page shows no personal data
    assert response.headers["Cache-Control"] == "private, no-store"
    assert status_of(shop_a, row.id) is SubscriptionStatus.SUBSCRIBED


def test_one_click_post_works_without_session_or_csrf_and_is_idempotent(app, client, shop_a):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # the route is exempt, not CSRF off
    row = shop_subscription(shop_a)
    url = f"/emails/unsubscribe/{unsubscribe_token(shop_a.id, row.id)}"
    for _ in range(2):
        response = client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "You are unsubscribed" in response.get_data(as_text=True)
    assert status_of(shop_a, row.id) is SubscriptionStatus.UNSUBSCRIBED
    assert "not subscribed" in client.get(url).get_data(as_text=True)


def test_other_posts_still_need_csrf(app, client, make_user, sign_in):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    sign_in(make_user())
    assert client.post("/account/emails", data={"mall": "y"}).status_code == 400


def test_the_mall_link_unsubscribes_from_the_mall(app, client):
    row = subscribe("nia@example.com", source=ConsentSource.ACCOUNT, mall=True)
    db.session.commit()
    response = client.post(f"/emails/unsubscribe/{unsubscribe_token(None, row.id)}")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(MallSubscription, row.id).status is SubscriptionStatus.UNSUBSCRIBED


def test_altered_or_foreign_links_are_refused(app, client, shop_a, shop_b):
    row = shop_subscription(shop_a)
    token = unsubscribe_token(shop_a.id, row.id)
    # The right subscription id under another shop's id: not found there.
    moved = unsubscribe_token(shop_b.id, row.id)
    for bad in (tampered(token), "nonsense", moved):
        assert client.get(f"/emails/unsubscribe/{bad}").status_code == 404
        assert client.post(f"/emails/unsubscribe/{bad}").status_code == 404
    assert status_of(shop_a, row.id) is SubscriptionStatus.SUBSCRIBED


# ---------------------------------------------------------------- email preferences


def test_preferences_need_sign_in(client):
    response = client.get("/account/emails")
    assert response.status_code in (302, 303)


def test_preferences_start_unticked_and_save_each_choice(
    app, client, make_user, sign_in, shop_a, shop_b, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user("nia@example.com")
    shop_subscription(shop_a, user_id=user.id)  # subscribed at checkout while signed in
    sign_in(user)
    page = client.get("/account/emails").get_data(as_text=True)
    assert shop_a.name in page and shop_b.name not in page
    assert "checked" not in re.search(r'<input[^>]*id="mall"[^>]*>', page).group(0)
    assert "checked" in re.search(rf'<input[^>]*id="shop-{shop_a.id.hex}"[^>]*>', page).group(0)
    response = client.post("/account/emails", data={"mall": "y"})  # shop A's box unticked
    assert response.status_code == 303
    assert not find_in(shop_a).subscribed
    assert find_subscription("nia@example.com", mall=True).subscribed
    # Posting a shop the customer never dealt with subscribes nobody.
    client.post("/account/emails", data={"shop": [shop_a.id.hex, shop_b.id.hex, "zz"]})
    assert find_in(shop_a).subscribed
    assert find_in(shop_b) is None
    assert not find_subscription("nia@example.com", mall=True).subscribed


def find_in(shop):
    with tenant_context(shop):
        row = find_subscription("nia@example.com")
        return row and SimpleNamespace(id=row.id, subscribed=row.subscribed)


def test_the_account_page_links_to_the_preferences(client, make_user, sign_in):
    sign_in(make_user())
    assert "/account/emails" in client.get("/account/").get_data(as_text=True)


def test_an_erased_account_leaves_no_subscription(app_ctx, shop_a, shop_b, make_user):
    from mall.newsletters.services import forget_subscriber

    user = make_user("nia@example.com")
    shop_subscription(shop_a, user_id=user.id)
    shop_subscription(shop_b, "other@example.com")  # someone else's stays
    subscribe("nia@example.com", source=ConsentSource.CHECKOUT, mall=True)  # as a guest
    db.session.commit()
    assert forget_subscriber(user.id, email="nia@example.com") == 2
    db.session.commit()
    assert find_in(shop_a) is None
    assert find_subscription("nia@example.com", mall=True) is None
    with tenant_context(shop_b):
        assert find_subscription("other@example.com") is not None


def test_account_deletion_runs_the_newsletters_step(app):
    from mall.accounts.erasure import STEPS_KEY
    from mall.newsletters.subscribers import on_account_erased

    assert on_account_erased in app.extensions[STEPS_KEY]
