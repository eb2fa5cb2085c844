"""The rq worker process: named queues, rq's scheduler, and the periodic jobs."""

from __future__ import annotations

import logging
import multiprocessing
import os

from flask import Flask

from mall.extensions import db
from mall.jobs import QUEUES, redis_connection, run_job, use_app
from mall.schedule import Periodic, periodic_jobs

log = logging.getLogger(__name__)


def run_worker(app: Flask, queues: list[str] | None, *, burst: bool, cron: bool) -> bool:
    """Work the queues until stopped (or empty with ``burst``)."""
    from rq import Queue, Worker

    use_app(app)
    # A forked work horse must not reuse the parent's pooled database connections.
    os.register_at_fork(after_in_child=lambda: _forget_parent_connections(app))
    connection = redis_connection(app)
    names = queues or list(QUEUES)
    unknown = set(names) - set(QUEUES)
    if unknown:
        raise ValueError(f"unknown queues: {', '.join(sorted(unknown))}")
    scheduler = None
    if cron:
        periodic = periodic_jobs(app)
        for item in periodic:
            log.info("periodic job %s every %d s", item.ref, item.interval)
        scheduler = multiprocessing.Process(
            target=run_cron, args=(app.config["REDIS_URL"], periodic), daemon=True
        )
        scheduler.start()
    try:
        worker = Worker([Queue(n, connection=connection) for n in names], connection=connection)
        return worker.work(burst=burst, with_scheduler=True)
    finally:
        if scheduler is not None:
            scheduler.terminate()


def run_cron(redis_url: str, periodic: tuple[Periodic, ...]) -> None:
    """Enqueue each periodic job on its interval (rq's cron scheduler)."""
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    for item in periodic:
        scheduler.register(
            run_job,
            queue_name="maintenance",
            args=(item.ref, None, *item.args),
            interval=item.interval,
            name=item.ref,
        )
    scheduler.start()


def _forget_parent_connections(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
