"""``flask mall affiliates approve-due [--now YYYY-MM-DD]``: run the approval job now."""

from __future__ import annotations

from datetime import UTC, datetime, time

import click

from affiliates.commissions.services import approve_due
from mall.extensions import db


@click.command("approve-due")
@click.option(
    "--now",
    "day",
    default=None,
    help="Act as if it were the end of this day, YYYY-MM-DD (default: now), e.g. to see "
    "what a holding period ending then approves.",
)
def approve_due_command(day: str | None) -> None:
    """Approve the affiliate commissions whose holding period has ended."""
    now = None
    if day:
        try:
            wanted = datetime.strptime(day, "%Y-%m-%d").date()
        except ValueError:
            raise click.BadParameter(
                "give the day as YYYY-MM-DD, e.g. 2026-12-31", param_hint="--now"
            ) from None
        now = datetime.combine(wanted, time.max, tzinfo=UTC)
    approved = 0
    while True:  # one transaction per batch, as the job does
        sweep = approve_due(now=now)
        db.session.commit()
        approved += sweep.approved
        if not sweep.more:
            break
    click.echo(
        f"{approved} affiliate commission{'s' if approved != 1 else ''} approved."
        if approved
        else "No affiliate commission was due for approval."
    )
