"""``flask --app wsgi mall …``: the command group every domain adds its commands to.

Core commands: ``worker``, ``run-periodic`` and ``periodic``. Domains add theirs
(``keys``, ``catalog``, ``create-operator``, ``seed-demo``…) from their
``init_app`` with ``add_commands``.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mall.jobs import run_job
from mall.schedule import periodic_jobs
from mall.worker import run_worker

mall_cli = AppGroup("mall", help="Mall administration commands.")


def init_app(app: Flask) -> None:
    """Attach the ``mall`` command group to the app's CLI."""
    app.cli.add_command(mall_cli)


def add_commands(*commands: click.Command) -> None:
    """Add a domain's commands (or command groups) under ``flask mall``; idempotent."""
    for command in commands:
        if command.name not in mall_cli.commands:
            mall_cli.add_command(command)


@mall_cli.command("worker")
@click.option("--queues", default=None, help="Comma-separated queues (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-cron", is_flag=True, help="Do not run the periodic-job scheduler.")
def worker_command(queues: str | None, burst: bool, no_cron: bool) -> None:
    """Run an rq worker (with rq's scheduler and the periodic jobs)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("MALL_REDIS_URL is not set: without Redis, jobs run inline.")
    names = [q.strip() for q in queues.split(",")] if queues else None
    run_worker(current_app._get_current_object(), names, burst=burst, cron=not (no_cron or burst))


@mall_cli.command("periodic")
def periodic_command() -> None:
    """List the periodic jobs the domains registered, with their intervals."""
    for periodic in periodic_jobs(current_app):
        click.echo(f"{periodic.ref}\tevery {periodic.interval} s")


@mall_cli.command("run-periodic")
@click.option("--name", "names", multiple=True, help="Run only this job (repeatable).")
def run_periodic_command(names: tuple[str, ...]) -> None:
    """Run the periodic jobs once now (for deployments without Redis: call from cron)."""
    registered = periodic_jobs(current_app)
    unknown = set(names) - {periodic.ref for periodic in registered}
    if unknown:
        raise click.UsageError(f"no periodic job named {', '.join(sorted(unknown))}")
    for periodic in registered:
        if names and periodic.ref not in names:
            continue
        run_job(periodic.ref, None, *periodic.args, app=current_app._get_current_object())
        click.echo(f"ran {periodic.ref}")
