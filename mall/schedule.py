"""Periodic jobs: each domain registers its own in ``init_app``; this is where they are read.

With Redis, ``flask mall worker`` hands them to rq's cron scheduler (and logs
the list at start-up); without it, ``flask mall run-periodic`` runs them from
the system's cron. ``flask mall periodic`` lists them. Jobs are kept by
reference (``"module:function"``) so that the worker's scheduler process can
enqueue them without importing the domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from mall.jobs import job_ref

EXTENSION_KEY = "mall.periodic"


@dataclass(frozen=True)
class Periodic:
    """A job to run every ``interval`` seconds with fixed id arguments."""

    ref: str
    interval: int
    args: tuple[str | int, ...] = ()


def add_periodic(
    app: Flask, func: Callable[..., Any], *, interval: int, args: tuple[str | int, ...] = ()
) -> None:
    """Run the job ``func`` every ``interval`` seconds; registering a job twice is a no-op."""
    if interval < 60:
        raise ValueError("periodic jobs run at most once a minute")
    periodic = Periodic(ref=job_ref(func), interval=interval, args=args)
    registered = app.extensions.setdefault(EXTENSION_KEY, [])
    if all(existing.ref != periodic.ref for existing in registered):
        registered.append(periodic)


def periodic_jobs(app: Flask) -> tuple[Periodic, ...]:
    """Every periodic job the app's domains registered, in registration order."""
    return tuple(app.extensions.get(EXTENSION_KEY, ()))
