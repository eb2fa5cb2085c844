"""Accounts under concurrency and over time: simultaneous sign-ups, expired device sessions."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from mall.accounts import services
from mall.accounts.models import DeviceSession, User
from mall.accounts.sessions import start_session
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import run_job
from tests.mall.test_accounts import register, sent_to, text_of


def test_a_sign_up_that_loses_the_race_for_an_address_answers_like_a_taken_one(
    app, client, monkeypatch, make_user
):
    app.config["WTF_CSRF_ENABLED"] = False
    make_user("race@example.com")
    # The other sign-up committed after this one looked (twice): its insert hits the index.
    monkeypatch.setattr(services, "find_user_by_email", _misses(2, services.find_user_by_email))
    try:
        response = register(client, email="race@example.com")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    [message] = sent_to(app, "race@example.com")
    assert "already have an account" in text_of(message)


def _misses(times: int, find):
    calls = iter(range(1_000))

    def find_later(email: str):
        return None if next(calls) < times else find(email)

    return find_later


def test_the_daily_job_deletes_expired_device_sessions_only(app, make_user):
    user = make_user("sessions@example.com")
    start_session(user, remember=False)
    start_session(user, remember=True)
    stale = db.session.scalars(sa.select(DeviceSession)).first()
    stale.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert run_job("mall.accounts.jobs:prune_device_sessions", None, app=app) == 1
    assert run_job("mall.accounts.jobs:prune_device_sessions", None, app=app) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeviceSession)) == 1
