"""The operator console: access, the shop life cycle, commission, settings, audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.catalog.models import ProductStatus
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.commission import shop_rate
from mall.money import format_money
from mall.shops.models import Membership, Role
from tenants.models import AuditEvent, PlatformSetting, Tenant, TenantStatus
from tests.mall.test_storefront import make_product
from tests.support.mail import clear_outbox, sent, sent_to, text_of

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def empty_outbox(app):
    clear_outbox(app)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def as_operator(client, operator, sign_in, no_csrf):
    sign_in(operator)
    return client


@pytest.fixture
def owned_shop(make_shop, make_user):
    """A pending shop with one owner (and a manager, who gets no status emails)."""

    def make(status=TenantStatus.PENDING, **kw):
        shop = make_shop(status=status, **kw)
        owner = make_user(f"owner-{shop.slug}@example.com", name="Ada Owner")
        manager = make_user(f"manager-{shop.slug}@example.com")
        db.session.add(Membership(user_id=owner.id, tenant_id=shop.id, role=Role.OWNER))
        db.session.add(Membership(user_id=manager.id, tenant_id=shop.id, role=Role.MANAGER))
        db.session.commit()
        return shop

    return make


def post(client, path, **data):
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": IP})


def events(shop=None, action=None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at)
    if shop is not None:
        query = query.where(AuditEvent.target_id == str(shop.id))
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def reload(shop) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, shop.id)


# ---------------------------------------------------------------- access


def console_paths(app, shop) -> list[tuple[str, str]]:
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console."):
            continue
        path = rule.build({"shop_id": shop.id} if "shop_id" in rule.arguments else {})[1]
        paths += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return paths


def test_every_console_route_refuses_non_operators(
    app, client, shop_a, make_user, sign_in, no_csrf
):
    paths = console_paths(app, shop_a)
    assert len(paths) >= 12
    for method, path in paths:
        response = client.open(path, method=method)
        assert response.status_code == 302, f"anonymous {method} {path}"
        assert "/account/login" in response.headers["Location"]
    sign_in(make_user("member@example.com"))
    for method, path in paths:
        assert client.open(path, method=method).status_code == 403, f"{method} {path}"
    assert reload(shop_a).status is TenantStatus.ACTIVE
    assert events() == []


def test_operator_sees_every_page(as_operator, shop_a):
    for path in ("/admin/", "/admin/shops", f"/admin/shops/{shop_a.id}", "/admin/audit"):
        assert as_operator.get(path).status_code == 200, path
    assert as_operator.get(f"/admin/shops/{shop_a.id}/close").status_code == 200
    assert as_operator.get("/admin/settings").status_code == 200
    assert as_operator.get("/admin/shops/00000000-0000-7000-8000-000000000000").status_code == 404


def test_actions_need_a_csrf_token(client, operator, sign_in, owned_shop):
    shop = owned_shop()
    sign_in(operator)
    assert client.post(f"/admin/shops/{shop.id}/approve").status_code == 400
    assert reload(shop).status is TenantStatus.PENDING


# ---------------------------------------------------------------- approve, suspend, reactivate


def test_approve_opens_the_shop_once_audits_and_emails_the_owners(
    as_operator, operator, owned_shop
):
    shop = owned_shop()
    first = post(as_operator, f"/admin/shops/{shop.id}/approve")
    assert first.status_code == 303
    assert "is approved" in as_operator.get(first.headers["Location"]).get_data(as_text=True)
    second = post(as_operator, f"/admin/shops/{shop.id}/approve")
    assert second.status_code == 303
    assert "already active" in as_operator.get(second.headers["Location"]).get_data(as_text=True)

    assert reload(shop).status is TenantStatus.ACTIVE
    [event] = events(shop)
    assert (event.action, event.actor_id, event.target_type) == (
        "shop.approved",
        operator.id,
        "shop",
    )
    assert event.details == {"from": "pending", "to": "active"}
    assert event.ip_address == IP
    [message] = sent(as_operator.application)
    assert message["To"] == f"owner-{shop.slug}@example.com"
    assert shop.name in message["Subject"]
    assert f"/shop/{shop.slug}/" in text_of(message)
    assert "Hello Ada Owner" in text_of(message)


def test_the_audit_ip_is_sealed_at_rest(app, as_operator, owned_shop, database):
    shop = owned_shop()
    post(as_operator, f"/admin/shops/{shop.id}/approve")
    [raw] = database.execute(sa.text("SELECT ip_address FROM audit_events")).scalars().all()
    assert raw and IP.encode() not in bytes(raw)
    assert IP.encode("utf-16-le") not in bytes(raw)


def test_suspend_needs_a_reason_and_tells_the_owners(app, as_operator, owned_shop):
    shop = owned_shop(status=TenantStatus.ACTIVE)
    refused = post(as_operator, f"/admin/shops/{shop.id}/suspend", reason="  ")
    assert refused.status_code == 400
    assert "Give the reason" in refused.get_data(as_text=True)
    assert reload(shop).status is TenantStatus.ACTIVE

    for _ in range(2):
        reason = "Counterfeit goods reported"
        assert (
            post(as_operator, f"/admin/shops/{shop.id}/suspend", reason=reason).status_code == 303
        )
    shop = reload(shop)
    assert shop.status is TenantStatus.SUSPENDED
    assert shop.suspended_reason == "Counterfeit goods reported"
    [event] = events(shop)
    assert event.action == "shop.suspended"
    assert "Counterfeit" not in str(event.details)
    [message] = sent_to(app, f"owner-{shop.slug}@example.com")
    assert "Reason: Counterfeit goods reported" in text_of(message)
    assert len(sent(app)) == 1


def test_reactivate_lifts_the_suspension(app, as_operator, owned_shop):
    shop = owned_shop(status=TenantStatus.SUSPENDED)
    shop.suspended_reason = "Unpaid fees"
    db.session.commit()
    for _ in range(2):
        assert post(as_operator, f"/admin/shops/{shop.id}/reactivate").status_code == 303
    shop = reload(shop)
    assert (shop.status, shop.suspended_reason) == (TenantStatus.ACTIVE, None)
    assert [e.action for e in events(shop)] == ["shop.reactivated"]
    assert sent(app) == []


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (TenantStatus.CLOSED, "approve", "only a pending shop can be approved"),
        (TenantStatus.SUSPENDED, "approve", "only a pending shop can be approved"),
        (TenantStatus.PENDING, "reactivate", "only a suspended shop can be reactivated"),
        (TenantStatus.CLOSED, "reactivate", "only a suspended shop can be reactivated"),
        (TenantStatus.PENDING, "suspend", "only an active shop can be suspended"),
        (TenantStatus.CLOSED, "suspend", "only an active shop can be suspended"),
    ],
)
def test_invalid_transitions_are_refused_with_a_message(
    app, as_operator, owned_shop, status, action, message
):
    shop = owned_shop(status=status)
    response = post(as_operator, f"/admin/shops/{shop.id}/{action}", reason="Because")
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert reload(shop).status is status
    assert events(shop) == [] and sent(app) == []


# ---------------------------------------------------------------- close


def test_close_page_names_what_will_be_destroyed_and_when(as_operator, owned_shop):
    db.session.add(PlatformSetting(key="shred_grace_days", value=7))
    db.session.commit()
    shop = owned_shop(status=TenantStatus.ACTIVE)
    page = as_operator.get(f"/admin/shops/{shop.id}/close").get_data(as_text=True)
    when = (utcnow() + timedelta(days=7)).strftime("%d %B %Y")
    assert when in page and "7 days" in page
    for words in ("data keys", "customers' personal data", "orders", "staff invitations"):
        assert words in page
    assert f"Type {shop.slug} exactly" in page


def test_close_requires_the_typed_slug(app, as_operator, owned_shop):
    shop = owned_shop(status=TenantStatus.ACTIVE)
    for typed in ("", "not-the-slug"):
        response = post(as_operator, f"/admin/shops/{shop.id}/close", confirm_slug=typed)
        assert response.status_code == 400
        assert "to confirm" in response.get_data(as_text=True)
    assert reload(shop).status is TenantStatus.ACTIVE
    assert events(shop) == [] and sent(app) == []


def test_close_schedules_the_shredding_and_emails_the_date(app, as_operator, owned_shop):
    db.session.add(PlatformSetting(key="shred_grace_days", value=10))
    db.session.commit()
    shop = owned_shop(status=TenantStatus.SUSPENDED)
    before = utcnow()
    for _ in range(2):
        response = post(as_operator, f"/admin/shops/{shop.id}/close", confirm_slug=shop.slug)
        assert response.status_code == 303
    shop = reload(shop)
    assert shop.status is TenantStatus.CLOSED
    assert before <= shop.closed_at <= utcnow()
    assert shop.shred_after == shop.closed_at + timedelta(days=10)
    assert shop.shredded_at is None
    [event] = events(shop)
    assert event.action == "shop.closed" and event.details["grace_days"] == 10
    [message] = sent(app)
    assert message["To"] == f"owner-{shop.slug}@example.com"
    assert shop.shred_after.strftime("%d %B %Y") in text_of(message)
    assert "already closed" in as_operator.get(f"/admin/shops/{shop.id}/close").get_data(
        as_text=True
    )


def test_the_grace_period_defaults_to_30_days(as_operator, owned_shop):
    shop = owned_shop()
    post(as_operator, f"/admin/shops/{shop.id}/close", confirm_slug=shop.slug.upper())
    shop = reload(shop)
    assert shop.shred_after - shop.closed_at == timedelta(days=30)


# ---------------------------------------------------------------- commission


@pytest.mark.parametrize(
    ("typed", "basis_points"), [("12.5", 1250), ("0", 0), ("100", 10000), ("7.25%", 725)]
)
def test_commission_is_a_percentage(as_operator, operator, owned_shop, typed, basis_points):
    shop = owned_shop(status=TenantStatus.ACTIVE)
    response = post(as_operator, f"/admin/shops/{shop.id}/commission", percent=typed)
    assert response.status_code == 303
    assert shop_rate(shop.id) == (basis_points, "shop rate")
    [event] = events(shop)
    assert event.action == "commission.shop_rate_set"
    assert event.details == {"from_bp": 1000, "to_bp": basis_points, "applies": "shop rate"}
    post(as_operator, f"/admin/shops/{shop.id}/commission", percent=typed)
    assert len(events(shop)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "at most 2 decimals"),
        ("100.01", "between 0 and 100"),
        ("-1", "between 0 and 100"),
        ("abc", "as a number"),
        ("", "Enter the commission"),
        ("NaN", "as a number"),
    ],
)
def test_bad_commission_is_a_400_with_a_clear_message(as_operator, owned_shop, typed, message):
    shop = owned_shop(status=TenantStatus.ACTIVE)
    response = post(as_operator, f"/admin/shops/{shop.id}/commission", percent=typed)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert shop_rate(shop.id) == (1000, "mall default")
    assert events(shop) == []


def test_a_pending_shops_page_shows_what_it_has_prepared(as_operator, owned_shop):
    shop = owned_shop(name="Green Thumb Garden Supply", description="Seeds, bulbs and tools.")
    shop.logo_path = f"logos/{shop.id}/green.png"
    db.session.commit()
    titles = [f"Tomato seeds {n}" for n in range(7)]
    for n, title in enumerate(titles):
        status = ProductStatus.DRAFT if n % 2 else ProductStatus.PUBLISHED
        make_product(shop, title, price=350 + n, status=status)
    page = as_operator.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "Seeds, bulbs and tools." in page
    assert f'src="/media/logos/{shop.id}/green.png"' in page
    assert "7 products" in page
    shown = [title for title in titles if title in page]
    assert len(shown) == 5  # the first few, not all seven
    for n, title in enumerate(titles):
        if title in shown:
            assert format_money(350 + n) in page
    assert "Draft" in page and "Published" in page
    assert "Approve shop" in page


def test_a_shop_without_products_or_logo_says_so(as_operator, owned_shop):
    shop = owned_shop()
    page = as_operator.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "No products yet." in page
    assert "No logo." in page
    assert "No description." in page


def test_the_shop_page_reads_a_fixed_number_of_queries(
    as_operator, owned_shop, make_shop, count_queries
):
    def queries(shop) -> int:
        with count_queries() as counter:
            assert as_operator.get(f"/admin/shops/{shop.id}").status_code == 200
        return counter.count

    few, many = owned_shop(), owned_shop()
    make_product(few, "One")
    for n in range(9):
        make_product(many, f"Many {n}", variants=2)
    make_product(make_shop(), "Elsewhere")  # another shop's products are not this shop's
    assert queries(many) == queries(few)
    page = as_operator.get(f"/admin/shops/{few.id}").get_data(as_text=True)
    assert "1 product" in page and "Elsewhere" not in page


def test_shop_page_shows_the_rate_as_a_percentage_and_masked_owners(as_operator, owned_shop):
    shop = owned_shop(status=TenantStatus.ACTIVE)
    post(as_operator, f"/admin/shops/{shop.id}/commission", percent="12.5")
    page = as_operator.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "12.5%" in page
    assert "o***@example.com" in page
    assert f"owner-{shop.slug}@example.com" not in page
    assert "manager-" not in page and "Ada Owner" not in page


# ---------------------------------------------------------------- settings


def test_settings_are_saved_and_audited(as_operator, operator):
    page = as_operator.get("/admin/settings").get_data(as_text=True)
    assert 'value="30"' in page
    response = post(as_operator, "/admin/settings", auto_approve_shops="y", shred_grace_days="14")
    assert response.status_code == 303
    stored = {s.key: s.value for s in db.session.scalars(sa.select(PlatformSetting))}
    assert stored == {"auto_approve_shops": True, "shred_grace_days": 14}
    [event] = events(action="settings.updated")
    assert event.actor_id == operator.id
    assert event.details == {
        "changed": {"auto_approve_shops": [False, True], "shred_grace_days": [30, 14]}
    }
    post(as_operator, "/admin/settings", auto_approve_shops="y", shred_grace_days="14")
    assert len(events(action="settings.updated")) == 1
    post(as_operator, "/admin/settings", shred_grace_days="20")
    db.session.expire_all()
    stored = {s.key: s.value for s in db.session.scalars(sa.select(PlatformSetting))}
    assert stored == {"auto_approve_shops": False, "shred_grace_days": 20}
    assert len(events(action="settings.updated")) == 2


@pytest.mark.parametrize("days", ["0", "366", "ten", ""])
def test_bad_grace_period_is_a_400(as_operator, days):
    response = post(as_operator, "/admin/settings", shred_grace_days=days)
    assert response.status_code == 400
    assert db.session.scalars(sa.select(PlatformSetting)).all() == []
    assert events() == []


# ---------------------------------------------------------------- audit log and shop list


def test_audit_log_masks_the_actor_and_the_ip(as_operator, owned_shop):
    shop = owned_shop()
    post(as_operator, f"/admin/shops/{shop.id}/approve")
    page = as_operator.get("/admin/audit").get_data(as_text=True)
    assert "shop.approved" in page
    assert "o***@example.com" in page and "operator@example.com" not in page
    assert "203.0.113.x" in page and IP not in page
    detail = as_operator.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "shop.approved" in detail and "203.0.113.x" in detail


def test_shop_list_filters_and_searches(as_operator, make_shop):
    make_shop("lamp-works", name="Lamp Works", status=TenantStatus.PENDING)
    make_shop("tidy-teapots", name="Tidy Teapots", status=TenantStatus.PENDING)
    make_shop("lamp-light", name="Lamplight Books", status=TenantStatus.ACTIVE)
    pending = as_operator.get("/admin/shops?status=pending").get_data(as_text=True)
    assert "Lamp Works" in pending and "Tidy Teapots" in pending
    assert "Lamplight Books" not in pending
    found = as_operator.get("/admin/shops?status=all&q=LAMP").get_data(as_text=True)
    assert "Lamp Works" in found and "Lamplight Books" in found and "Tidy Teapots" not in found
    nothing = as_operator.get("/admin/shops?status=closed&q=lamp").get_data(as_text=True)
    assert "No shops match." in nothing
    assert as_operator.get("/admin/shops?status=bogus&page=x").status_code == 200


def test_list_query_counts_are_flat_and_paginated(as_operator, operator, make_shop, count_queries):
    from tenants.audit import record_audit

    def queries(url: str) -> int:
        with count_queries() as counter:
            assert as_operator.get(url).status_code == 200
        return counter.count

    make_shop()
    few = queries("/admin/shops?status=active")
    for _ in range(30):
        make_shop()
    assert queries("/admin/shops?status=active") == few
    few_events = queries("/admin/audit")
    for n in range(30):
        record_audit(f"test.{n}", actor_id=operator.id, target_type="test", ip_address=IP)
    db.session.commit()
    assert queries("/admin/audit") == few_events
    page = as_operator.get("/admin/shops").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert re.search(r'href="/admin/shops\?[^"]*page=2', page)
