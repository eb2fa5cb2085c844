"""The console overview (shops by status, sign-ups per day) and the masking helpers."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mall.accounts.models import User
from mall.console.audit import mask_ip
from mall.console.stats import overview_stats
from mall.db import utcnow
from mall.extensions import db
from tenants.keys.masking import mask_email
from tenants.models import Tenant, TenantStatus


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
