"""Affiliate applications under real concurrency (PostgreSQL, committed): the same application
form sent at once makes one application; the same approval pressed at once approves once (one
audit event, one email); two approvals that draw the same code both end with a code of their own."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from affiliates.applications import services
from affiliates.models import Affiliate, AffiliateStatus
from mall.accounts.models import User
from mall.accounts.services import create_user
from mall.extensions import db
from tenants.models import AuditEvent
from tests.conftest import DEFAULT_PASSWORD
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.mail import sent_to

pytestmark = needs_committed_pg
committed_app = committed_app_fixture()

RACERS = 6
ANSWERS = {
    "website": "https://race.example.org",
    "promotion": "Racing posts.",
    "payout_method": "paypal",
    "payout_email": "race@example.org",
}


def person(app, email: str) -> uuid.UUID:
    with app.app_context():
        user = create_user(email, DEFAULT_PASSWORD, name="Racer", verified=True)
        db.session.commit()
        return user.id


def application(app, email: str) -> uuid.UUID:
    user_id = person(app, email)
    with app.app_context():
        row = services.apply(db.session.get_one(User, user_id), **ANSWERS)
        db.session.commit()
        return row.id


def race(app, work: Callable[[int], object], count: int = RACERS) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together, each in its own app context
    committing its own transaction; their results."""
    ready = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def racer(index: int) -> None:
        try:
            with app.app_context():
                ready.wait(timeout=60)
                results.append(work(index))
                db.session.commit()
        except BaseException as error:  # surfaced below
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_one_application_whatever_the_double_clicks(committed_app):
    user_id = person(committed_app, f"apply-{uuid.uuid4().hex[:8]}@example.com")

    def send(_: int) -> uuid.UUID:
        return services.apply(db.session.get_one(User, user_id), **ANSWERS).id

    made = race(committed_app, send)
    assert len(set(made)) == 1
    with committed_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Affiliate).where(Affiliate.user_id == user_id)
        )
        assert count == 1


def test_an_approval_pressed_at_once_approves_once(committed_app):
    email = f"approve-{uuid.uuid4().hex[:8]}@example.com"
    affiliate_id = application(committed_app, email)
    code = f"R-{uuid.uuid4().hex[:10].upper()}"

    def press(_: int) -> bool:
        return services.approve(services.get_affiliate(affiliate_id), actor_id=None, code=code)

    assert sorted(race(committed_app, press)) == [False] * (RACERS - 1) + [True]
    with committed_app.app_context():
        assert services.get_affiliate(affiliate_id).code == code
        events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.target_id == str(affiliate_id))
        )
        assert events == 1
        assert len(sent_to(committed_app, email)) == 1


def test_two_approvals_drawing_the_same_code_each_get_one(committed_app, monkeypatch):
    first = application(committed_app, f"draw-a-{uuid.uuid4().hex[:8]}@example.com")
    second = application(committed_app, f"draw-b-{uuid.uuid4().hex[:8]}@example.com")
    same = uuid.uuid4().hex[:8].upper()
    draws = itertools.chain([same, same], (uuid.uuid4().hex[:8].upper() for _ in itertools.count()))
    lock = threading.Lock()

    def draw() -> str:
        with lock:
            return next(draws)

    monkeypatch.setattr(services, "new_code", draw)
    ids = [first, second]
    race(
        committed_app,
        lambda i: services.approve(services.get_affiliate(ids[i]), actor_id=None),
        count=2,
    )
    with committed_app.app_context():
        rows = [services.get_affiliate(row_id) for row_id in ids]
        assert all(row.status is AffiliateStatus.APPROVED for row in rows)
        codes = {row.code for row in rows}
        assert len(codes) == 2 and same in codes
