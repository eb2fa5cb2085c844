"""The ``flask mall`` commands."""

from __future__ import annotations

import sqlalchemy as sa

from mall.extensions import db
from tenants.models import Tenant, TenantStatus


def test_seed_demo_is_idempotent_and_says_what_it_made(app, database):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["mall", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "7 shop(s) created" in first.output
    assert "/shop/green-thumb/" in first.output
    assert "http://127.0.0.1:5000/" in first.output
    assert "the demo skips its 7-day holding period" in first.output  # mall.demo.money
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Tenant))
    second = runner.invoke(args=["mall", "seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 shop(s) created" in second.output
    money = [line for line in first.output.splitlines() if "GREENTHUMB-" in line]
    assert money and money[0] in second.output  # the same story order, not a new one
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == count
        statuses = set(db.session.scalars(sa.select(Tenant.status)))
    assert {TenantStatus.ACTIVE, TenantStatus.PENDING, TenantStatus.SUSPENDED} <= statuses


def test_run_periodic_runs_the_declared_jobs(app, database):
    result = app.test_cli_runner().invoke(args=["mall", "run-periodic"])
    assert result.exit_code == 0, result.output
    assert "ran mall.jobs:prune_job_failures" in result.output


def test_worker_without_redis_says_why(app, database):
    result = app.test_cli_runner().invoke(args=["mall", "worker"])
    assert result.exit_code != 0
    assert "MALL_REDIS_URL is not set" in result.output


def test_worker_burst_on_empty_queues_stops(app, database, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("mall.redis", None)
    try:
        result = app.test_cli_runner().invoke(args=["mall", "worker", "--burst"])
    finally:
        app.extensions.pop("mall.redis", None)
    assert result.exit_code == 0, result.output
