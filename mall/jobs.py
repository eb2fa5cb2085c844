"""Background jobs: enqueued after commit, run by rq or inline through one wrapper.

``enqueue_after_commit(func, *ids)`` records the job on the session; when the
transaction commits it goes to rq (``MALL_REDIS_URL`` set) or runs inline right
away; when it rolls back it is dropped. Arguments are ids only (UUIDs, ints,
short strings), never ORM objects or personal data; the shop in context is
passed along and re-entered by the wrapper, which pushes an app context,
commits once and rolls back on error. Failures are logged and kept in
``job_failures``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from mall.db import PlatformModel, utcnow
from mall.extensions import db

log = logging.getLogger(__name__)

JobArg = UUID | int | str
PENDING_KEY = "mall.pending_jobs"
RETRY_INTERVALS = [10, 60, 300]
DEFAULT_QUEUE = "default"
QUEUES = ("default", "mail", "maintenance")

_registry: dict[str, JobSpec] = {}
_job_app: Flask | None = None


@dataclass(frozen=True)
class TenantScopeHooks:
    """How jobs read and enter a shop's context; registered by the tenancy layer.

    Mall core cannot import ``tenants`` (a higher layer), so ``tenants.context``
    hands these over when it is imported.
    """

    current_tenant_id: Callable[[], UUID | None]
    enter_tenant: Callable[[UUID], AbstractContextManager]
    leave_all: Callable[[], AbstractContextManager]


def _tenancy_missing(*_: object) -> AbstractContextManager:
    raise RuntimeError("the tenancy layer is not loaded: import tenants.context")


_tenant_hooks = TenantScopeHooks(
    current_tenant_id=lambda: None, enter_tenant=_tenancy_missing, leave_all=nullcontext
)


def register_tenant_scope(hooks: TenantScopeHooks) -> None:
    """Called once by ``tenants.context``."""
    global _tenant_hooks
    _tenant_hooks = hooks


@dataclass(frozen=True)
class JobSpec:
    """A function that may run as a job, and where it runs."""

    ref: str
    func: Callable[..., Any]
    queue: str = DEFAULT_QUEUE
    retries: int = len(RETRY_INTERVALS)


@dataclass(frozen=True)
class PendingJob:
    """A job waiting for its transaction to commit."""

    ref: str
    tenant_id: str | None
    args: tuple[str | int, ...]
    queue: str = field(default=DEFAULT_QUEUE)


class JobFailure(PlatformModel, db.Model):
    """A job run that raised: what, for which shop, with which ids, and the error type."""

    __tablename__ = "job_failures"

    job: Mapped[str] = mapped_column(sa.String(200), index=True)
    queue: Mapped[str] = mapped_column(sa.String(50))
    tenant_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("tenants.id"))
    args: Mapped[list] = mapped_column(sa.JSON)
    error_type: Mapped[str] = mapped_column(sa.String(200))
    # Engines run with hide_parameters, so database errors carry no row values.
    error: Mapped[str] = mapped_column(sa.String(500))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def job(queue: str = DEFAULT_QUEUE, retries: int = len(RETRY_INTERVALS)) -> Callable:
    """Declare a function as a job. It receives the ids it was enqueued with."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; known: {', '.join(QUEUES)}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        ref = f"{func.__module__}:{func.__qualname__}"
        _registry[ref] = JobSpec(ref=ref, func=func, queue=queue, retries=retries)
        func.job_ref = ref  # type: ignore[attr-defined]
        return func

    return register


def enqueue_after_commit(func: Callable[..., Any], *ids: JobArg, queue: str | None = None) -> None:
    """Run ``func(*ids)`` in the current shop's context once this transaction commits."""
    spec = _spec_for(func)
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, UUID | int | str):
            raise TypeError(f"job arguments are ids, not {type(value).__name__}")
        if isinstance(value, str) and len(value) > 100:
            raise TypeError("job arguments are ids; long strings are refused")
    tenant_id = _tenant_hooks.current_tenant_id()
    pending = PendingJob(
        ref=spec.ref,
        tenant_id=str(tenant_id) if tenant_id else None,
        args=tuple(str(v) if isinstance(v, UUID) else v for v in ids),
        queue=queue or spec.queue,
    )
    db.session().info.setdefault(PENDING_KEY, []).append(pending)


def _spec_for(func: Callable[..., Any]) -> JobSpec:
    return _registry[job_ref(func)]


def job_ref(func: Callable[..., Any]) -> str:
    """The ``"module:function"`` name a job is known by (TypeError for a plain function)."""
    ref = getattr(func, "job_ref", None)
    if ref not in _registry:
        raise TypeError(f"{func!r} is not a job: decorate it with @mall.jobs.job()")
    return ref


# SQLAlchemy announces ``after_commit`` and ``after_rollback`` for savepoints too
# (``begin_nested``). A savepoint released is not a commit: its jobs wait for the
# outermost one; a savepoint rolled back drops the jobs enqueued inside it only.
# Each open savepoint remembers how many jobs were pending when it began.
MARKS_KEY = "mall.pending_job_marks"


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(MARKS_KEY, [])
        marks.append(len(session.info.get(PENDING_KEY, ())))


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the jobs wait for the real commit
    pending = session.info.pop(PENDING_KEY, [])
    for item in pending:
        dispatch(item)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    marks = session.info.get(MARKS_KEY)
    if session.in_nested_transaction() and marks:
        del session.info.get(PENDING_KEY, [])[marks[-1] :]
        return
    session.info.pop(PENDING_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _end_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.get(MARKS_KEY)
        if marks:
            marks.pop()
    elif transaction.parent is None:
        # The outermost transaction ended: whatever was not sent by a commit is dropped.
        session.info.pop(PENDING_KEY, None)
        session.info.pop(MARKS_KEY, None)


def dispatch(item: PendingJob) -> None:
    """Send a committed job to rq, or run it inline when there is no Redis."""
    app = current_app._get_current_object() if has_app_context() else _job_app
    if app is None:
        raise RuntimeError("no Flask app to run jobs with")
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        _enqueue_rq(app, item)
    else:
        _run_inline(app, item)


def _enqueue_rq(app: Flask, item: PendingJob) -> None:
    from rq import Retry

    spec = _registry[item.ref]
    queue = rq_queue(app, item.queue)
    queue.enqueue(
        run_job,
        item.ref,
        item.tenant_id,
        *item.args,
        retry=Retry(max=spec.retries, interval=RETRY_INTERVALS[: max(spec.retries, 1)])
        if spec.retries
        else None,
        description=item.ref,
        failure_ttl=int(timedelta(days=30).total_seconds()),
    )


def _run_inline(app: Flask, item: PendingJob) -> None:
    try:
        run_job(item.ref, item.tenant_id, *item.args, queue=item.queue, app=app)
    except Exception:
        if app.config.get("JOBS_INLINE_RAISE"):
            raise


def run_job(
    ref: str,
    tenant_id: str | None,
    *args: str | int,
    queue: str | None = None,
    app: Flask | None = None,
) -> Any:
    """Run one job: fresh app context, the job's shop context, one commit."""
    app = app or (current_app._get_current_object() if has_app_context() else _job_app)
    if app is None:
        raise RuntimeError("no Flask app to run jobs with: call mall.jobs.use_app(app)")
    spec = _registry.get(ref) or _import_job(ref)
    scope = _tenant_hooks.enter_tenant(UUID(tenant_id)) if tenant_id else nullcontext()
    with app.app_context(), _tenant_hooks.leave_all():
        try:
            with scope:
                result = spec.func(*args)
                db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.exception("job %s failed (tenant %s)", ref, tenant_id)
            record_failure(ref, queue or spec.queue, tenant_id, args, error)
            raise
        finally:
            db.session.remove()
    return result


def record_failure(
    ref: str, queue: str, tenant_id: str | None, args: tuple, error: BaseException
) -> None:
    """Keep a failed run in ``job_failures`` (its own short transaction)."""
    try:
        db.session.add(
            JobFailure(
                job=ref,
                queue=queue,
                tenant_id=UUID(tenant_id) if tenant_id else None,
                args=list(args),
                error_type=type(error).__name__,
                error=str(error)[:500],
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of job %s", ref)


def _import_job(ref: str) -> JobSpec:
    """Import the module named in ``ref`` so its @job decorators register."""
    import importlib

    module = ref.split(":", 1)[0]
    importlib.import_module(module)
    if ref not in _registry:
        raise LookupError(f"{ref} is not a registered job")
    return _registry[ref]


def use_app(app: Flask) -> None:
    """Run jobs outside a request (worker, scheduler) with this app."""
    global _job_app
    _job_app = app


def redis_connection(app: Flask) -> Any:
    """The app's Redis connection (one per app)."""
    from redis import Redis

    connection = app.extensions.get("mall.redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["mall.redis"] = connection
    return connection


def rq_queue(app: Flask, name: str = DEFAULT_QUEUE) -> Any:
    """The named rq queue."""
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


@job(queue="maintenance", retries=0)
def prune_job_failures(days: int = 90) -> int:
    """Delete failure records older than ``days``; returns how many went."""
    cutoff = utcnow() - timedelta(days=int(days))
    result = db.session.execute(sa.delete(JobFailure).where(JobFailure.failed_at < cutoff))
    return result.rowcount
