"""Jobs run after commit, once, in the right shop's context: inline and through rq."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import JobFailure, enqueue_after_commit, rq_queue
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tests.support import jobs as test_jobs
from tests.support.models import Shelf


@pytest.fixture(autouse=True)
def clear_runs():
    test_jobs.RUNS.clear()
    yield
    test_jobs.RUNS.clear()


@pytest.fixture
def shelf(shop_a):
    with tenant_context(shop_a):
        shelf = Shelf(name="Fiction")
        db.session.add(shelf)
        db.session.commit()
        return shelf.id


def test_inline_job_runs_once_after_commit_in_the_shops_context(shop_a):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.note_run, "a", 7)
        assert test_jobs.RUNS == []  # not before the commit
        db.session.commit()
    assert test_jobs.RUNS == [(shop_a.id, ("a", 7))]
    db.session.commit()  # a second commit does not run it again
    assert len(test_jobs.RUNS) == 1


def test_job_enqueued_in_a_rolled_back_transaction_never_runs(shop_a):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.note_run, "never")
        db.session.rollback()
        db.session.commit()
    assert test_jobs.RUNS == []


def test_inline_job_commits_its_own_work(shop_a, shelf):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.rename_shelf, shelf, "Renamed")
        db.session.commit()
        db.session.expire_all()
        assert scoped_get(Shelf, shelf).name == "Renamed"


def test_failing_job_rolls_back_and_is_recorded(app, shop_a, shelf, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE_RAISE", False)
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.explode, shelf)
        db.session.commit()
        db.session.expire_all()
        assert scoped_get(Shelf, shelf).name == "Fiction"
    failure = db.session.scalars(sa.select(JobFailure)).one()
    assert failure.job == "tests.support.jobs:explode"
    assert failure.tenant_id == shop_a.id
    assert failure.args == [str(shelf)]
    assert failure.error_type == "RuntimeError"


def test_platform_job_runs_without_a_shop(app_ctx):
    enqueue_after_commit(test_jobs.note_run, "platform")
    db.session.commit()
    assert test_jobs.RUNS == [(None, ("platform",))]


def test_job_in_shop_context_sees_only_that_shop(shop_a, shop_b):
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            db.session.add_all([Shelf(name="one"), Shelf(name="two")])
            db.session.flush()
    with tenant_context(shop_b):
        db.session.add(Shelf(name="three"))
        enqueue_after_commit(test_jobs.count_shelves)
        db.session.commit()
    assert test_jobs.RUNS == [(shop_b.id, (3,))]


@pytest.mark.parametrize("bad", [object(), 1.5, True, "x" * 101, {"email": "a@b.c"}])
def test_job_arguments_must_be_ids(app_ctx, bad):
    with pytest.raises(TypeError):
        enqueue_after_commit(test_jobs.note_run, bad)


def test_only_declared_jobs_can_be_enqueued(app_ctx):
    with pytest.raises(TypeError, match="not a job"):
        enqueue_after_commit(print, uuid.uuid4())


# ---------------------------------------------------------------- Redis and rq


@pytest.fixture
def rq_app(app, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("mall.redis", None)
    yield app
    app.extensions.pop("mall.redis", None)


def work_burst(app) -> None:
    from rq import SimpleWorker

    queue = rq_queue(app, "default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_rq_job_waits_for_commit_and_runs_once_in_the_shops_context(rq_app, shop_a, shelf):
    queue = rq_queue(rq_app, "default")
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.rename_shelf, shelf, "Via Redis")
        assert queue.count == 0  # nothing is sent before the commit
        db.session.commit()
    assert queue.count == 1
    assert test_jobs.RUNS == []  # it waits for the worker
    work_burst(rq_app)
    assert test_jobs.RUNS == [(shop_a.id, (str(shelf), "Via Redis"))]
    with tenant_context(shop_a):
        db.session.expire_all()
        assert scoped_get(Shelf, shelf).name == "Via Redis"
    work_burst(rq_app)  # a second burst finds nothing to do
    assert len(test_jobs.RUNS) == 1


def test_rq_job_from_a_rolled_back_transaction_is_never_sent(rq_app, shop_a):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.note_run, "never")
        db.session.rollback()
    assert rq_queue(rq_app, "default").count == 0


def test_rq_job_arguments_hold_ids_only(rq_app, shop_a, shelf):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.rename_shelf, shelf, "Shown")
        db.session.commit()
    [queued] = rq_queue(rq_app, "default").get_jobs()
    assert queued.args == ("tests.support.jobs:rename_shelf", str(shop_a.id), str(shelf), "Shown")
    assert queued.retries_left == 3
    assert queued.retry_intervals == [10, 60, 300]


def test_a_savepoint_released_is_not_a_commit(shop_a):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.note_run, "before")
        with db.session.begin_nested():
            enqueue_after_commit(test_jobs.note_run, "inside")
        assert test_jobs.RUNS == []  # a savepoint released sends nothing yet
        enqueue_after_commit(test_jobs.note_run, "after")
        db.session.commit()
    assert [args for _, args in test_jobs.RUNS] == [("before",), ("inside",), ("after",)]


def test_a_savepoint_rolled_back_drops_only_its_own_jobs(shop_a):
    with tenant_context(shop_a):
        enqueue_after_commit(test_jobs.note_run, "kept")
        with pytest.raises(ValueError), db.session.begin_nested():
            enqueue_after_commit(test_jobs.note_run, "dropped")
            raise ValueError
        db.session.commit()
    assert [args for _, args in test_jobs.RUNS] == [("kept",)]
