"""Periodic jobs, declared in one place.

With Redis, ``flask mall worker`` registers these with rq's cron scheduler;
without it, ``flask mall run-periodic`` runs them (from the system's cron).
Jobs are named by reference so that this core module imports no higher layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    """A job to run every ``interval`` seconds with fixed id arguments."""

    ref: str
    interval: int
    args: tuple[str | int, ...] = ()


PERIODIC_JOBS: tuple[Periodic, ...] = (
    Periodic("mall.jobs:prune_job_failures", interval=24 * 3600),
    Periodic("tenants.console.jobs:shred_due_shops", interval=3600),
)
