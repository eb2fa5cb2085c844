"""The console overview (shops by status, sign-ups per day), the audit log's targets and
details in words, and the masking helpers."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mall.accounts.models import User
from mall.catalog.models import Category
from mall.console.audit import mask_ip
from mall.console.stats import overview_stats
from mall.db import new_id, utcnow
from mall.extensions import db
from tenants.audit import record_audit
from tenants.keys.masking import mask_email
from tenants.models import Tenant, TenantStatus


@pytest.fixture
def as_operator(app, client, operator, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    sign_in(operator)
    return client


def post(client, path, **data):
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def backdate(model, row, when: datetime) -> None:
    db.session.execute(sa.update(model).where(model.id == row.id).values(created_at=when))
    db.session.commit()


def test_overview_counts_shops_by_status_and_signups_per_day(make_shop, make_user):
    today = utcnow().date()
    for status in (TenantStatus.PENDING, TenantStatus.PENDING, TenantStatus.SUSPENDED):
        make_shop(status=status)
    old_shop = make_shop(status=TenantStatus.ACTIVE)
    backdate(Tenant, old_shop, utcnow() - timedelta(days=2))
    ancient = make_user()
    backdate(User, ancient, utcnow() - timedelta(days=45))
    for _ in range(2):
        backdate(User, make_user(), utcnow() - timedelta(days=1))
    make_user()
    # Just after midnight UTC counts for that day, whatever the server's time zone.
    edge = datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=UTC)
    backdate(User, make_user(), edge + timedelta(seconds=1))
    backdate(User, make_user(), edge - timedelta(seconds=1))

    stats = overview_stats()
    assert stats.status_counts == {"pending": 2, "active": 1, "suspended": 1, "closed": 0}
    assert len(stats.days) == 30 and stats.days[-1] == today
    assert stats.days[0] == today - timedelta(days=29)
    assert stats.new_users[-1] == 1 and stats.new_users[-2] == 2
    assert stats.new_users[0] == 1
    assert sum(stats.new_users) == 4
    assert stats.new_shops[-1] == 3 and stats.new_shops[-3] == 1
    assert sum(stats.new_shops) == 4


def test_overview_uses_three_queries(app_ctx, make_shop, count_queries):
    make_shop()
    with count_queries() as counter:
        overview_stats()
    assert counter.count == 3


def test_overview_page_has_the_chart_data_and_the_same_table(client, operator, sign_in, make_shop):
    make_shop(status=TenantStatus.PENDING)
    sign_in(operator)
    page = client.get("/admin/").get_data(as_text=True)
    match = re.search(r"<canvas id=\"signups-chart\"[^>]*data-series='([^']*)'", page)
    assert match, "the chart canvas carries its data"
    series = json.loads(html.unescape(match.group(1)))
    assert len(series["labels"]) == 30
    users, shops = series["datasets"]
    assert users["label"] == "New users" and shops["label"] == "New shops"
    assert shops["data"][-1] == 1 and users["data"][-1] == 1  # the operator signed up today
    assert 'id="signups-table"' in page and "<caption>" in page
    assert re.search(r"<th scope=\"row\">.*Pending.*</th>\s*<td class=\"text-end\">1</td>", page)
    assert "js/console-charts.js" in page and "chartjs-4.6.1/chart.umd.min.js" in page
    assert "<script>" not in page and "style=" not in page


# ---------------------------------------------------------------- the audit log, in words


def test_the_audit_log_names_its_targets_and_reads_plainly(as_operator, operator, make_shop):
    shop = make_shop(name="Green Thumb Garden Supply", status=TenantStatus.PENDING)
    post(as_operator, f"/admin/shops/{shop.id}/approve")
    post(as_operator, f"/admin/shops/{shop.id}/commission", percent="12.5")
    seeds = Category(name="Seeds", slug="seeds")
    db.session.add(seeds)
    db.session.flush()
    details = {"name": "Seeds", "slug": "seeds", "parent": None}
    record_audit(
        "category.created",
        actor_id=operator.id,
        target_type="category",
        target_id=seeds.id,
        details=details,
    )
    moved = {"parent": {"from": None, "to": "garden"}}
    record_audit(
        "category.updated",
        actor_id=operator.id,
        target_type="category",
        target_id=seeds.id,
        details=moved,
    )
    gone = {"name": "Bulbs", "slug": "bulbs"}  # deleted: its name is in the details
    record_audit(
        "category.deleted",
        actor_id=operator.id,
        target_type="category",
        target_id=new_id(),
        details=gone,
    )
    post(as_operator, "/admin/settings", auto_approve_shops="y", shred_grace_days="14")
    db.session.commit()

    page = as_operator.get("/admin/audit").get_data(as_text=True)
    assert "shop Green Thumb Garden Supply" in page
    assert f"{str(shop.id)[:8]}…" not in page
    assert "category Seeds" in page and "category Bulbs" in page
    assert "None" not in page
    assert "parent: top level → garden" in page
    assert "status: pending → active" in page
    assert "commission: 10% → 12.5%" in page
    assert "approve new shops automatically: no → yes" in page
    assert "{'" not in page and "changed:" not in page  # no Python reprs


def test_the_audit_log_reads_a_fixed_number_of_queries(
    as_operator, operator, make_shop, count_queries
):
    def record(n: int) -> None:
        for _ in range(n):
            shop = make_shop()
            category = Category(name=f"Category {shop.slug}", slug=f"category-{shop.slug}")
            db.session.add(category)
            db.session.flush()
            record_audit(
                "shop.approved",
                actor_id=operator.id,
                target_type="shop",
                target_id=shop.id,
                details={"from": "pending", "to": "active"},
            )
            record_audit(
                "category.created",
                actor_id=None,
                target_type="category",
                target_id=category.id,
                details={"name": category.name, "parent": None},
            )
        db.session.commit()

    def queries() -> int:
        with count_queries() as counter:
            assert as_operator.get("/admin/audit").status_code == 200
        return counter.count

    record(1)
    few = queries()
    record(20)
    assert queries() == few


def test_audit_log_is_paginated_newest_first(as_operator, operator):
    for n in range(55):
        record_audit(f"test.{n:02d}", actor_id=operator.id, target_type="test")
    db.session.commit()
    first = as_operator.get("/admin/audit").get_data(as_text=True)
    second = as_operator.get("/admin/audit?page=2").get_data(as_text=True)
    assert "test.54" in first and "test.00" not in first
    assert "test.00" in second and "Page 2 of 2" in second


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("203.0.113.7", "203.0.113.x"),
        ("10.0.0.255", "10.0.0.x"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"),
        ("2001:0db8:0000:0042::1", "2001:db8:0::/48"),
        ("::ffff:198.51.100.9", "198.51.100.x"),
        ("::1", "0:0:0::/48"),
        ("", "unknown"),
        ("not an ip", "unknown"),
    ],
)
def test_mask_ip(address, masked):
    assert mask_ip(address) == masked


def test_mask_email():
    assert mask_email("ada@example.com") == "a***@example.com"
