"""``flask --app wsgi mall …``: seed-demo, worker, run-periodic."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mall.extensions import db

mall_cli = AppGroup("mall", help="Mall administration commands.")


def register(app: Flask) -> None:
    """Attach the ``mall`` command group (with the groups of every layer)."""
    from mall.accounts.cli import create_operator_command
    from mall.catalog.cli import catalog_cli
    from tenants.keys.cli import keys_cli

    for command in (keys_cli, catalog_cli, create_operator_command):
        if command.name not in mall_cli.commands:
            mall_cli.add_command(command)
    app.cli.add_command(mall_cli)


@mall_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Fill the database with the demo mall (safe to run again)."""
    from mall.demo import seed_demo

    report = seed_demo()
    db.session.commit()
    for line in report:
        click.echo(line)


@mall_cli.command("worker")
@click.option("--queues", default=None, help="Comma-separated queues (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-cron", is_flag=True, help="Do not run the periodic-job scheduler.")
def worker_command(queues: str | None, burst: bool, no_cron: bool) -> None:
    """Run an rq worker (with rq's scheduler and the periodic jobs)."""
    from mall.worker import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("MALL_REDIS_URL is not set: without Redis, jobs run inline.")
    names = [q.strip() for q in queues.split(",")] if queues else None
    run_worker(current_app._get_current_object(), names, burst=burst, cron=not (no_cron or burst))


@mall_cli.command("run-periodic")
@click.option("--name", "names", multiple=True, help="Run only this job (repeatable).")
def run_periodic_command(names: tuple[str, ...]) -> None:
    """Run the periodic jobs once now (for deployments without Redis: call from cron)."""
    from mall.jobs import run_job
    from mall.schedule import PERIODIC_JOBS

    for periodic in PERIODIC_JOBS:
        if names and periodic.ref not in names:
            continue
        run_job(periodic.ref, None, *periodic.args, app=current_app._get_current_object())
        click.echo(f"ran {periodic.ref}")
