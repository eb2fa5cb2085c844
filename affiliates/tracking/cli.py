"""``flask mall affiliates rollup [--day YYYY-MM-DD]``: roll up one day's clicks and sales now
(also the way to recount a day in full, e.g. after the job was stopped for a while)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from affiliates.tracking.rollups import roll_up
from mall.db import utcnow
from mall.extensions import db


@click.command("rollup")
@click.option("--day", default=None, help="The day to roll up, YYYY-MM-DD (default: today, UTC).")
def rollup_command(day: str | None) -> None:
    """Count a day's affiliate clicks and sales (after refunds) into the daily stats the
    dashboards read."""
    try:
        wanted = datetime.strptime(day, "%Y-%m-%d").date() if day else utcnow().date()
    except ValueError:
        raise click.BadParameter(
            "give the day as YYYY-MM-DD, e.g. 2026-11-29", param_hint="--day"
        ) from None
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=f"Rolling up {wanted.isoformat()}")
            bar.__enter__()
        bar.update(done)

    try:
        rolled = roll_up(wanted, on_progress=progress)
        db.session.commit()
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(
        f"Rolled up {wanted.isoformat()}: {rolled.affiliates} affiliates, "
        f"{rolled.pages} landing pages."
    )
