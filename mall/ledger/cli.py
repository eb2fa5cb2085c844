"""``flask --app wsgi mall ledger …``: verify the chain and every balance; make checkpoints."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from mall.extensions import db
from mall.ledger.checkpoints import (
    backfill_checkpoints,
    history_days,
    make_checkpoints,
    shops_to_checkpoint,
)
from mall.ledger.services import entry_count, record_verification, run_verification

ledger_cli = AppGroup("ledger", help="The double-entry ledger: verification, checkpoints.")


@ledger_cli.command("verify")
def verify_command() -> None:
    """Recompute the hash chain and every entry's balance; exit 1 naming the first broken entry."""
    with click.progressbar(length=entry_count(), label="Verifying the ledger") as bar:
        found = run_verification(progress=bar.update)
    record_verification(found)
    db.session.commit()
    if not found.ok:
        click.echo(f"Ledger verification FAILED: {found.message}", err=True)
        raise SystemExit(1)
    click.echo(f"Ledger verified: {found.message}")


@ledger_cli.command("checkpoint")
@click.option(
    "--backfill-days",
    type=click.IntRange(1, 366),
    default=None,
    help="First make a round every N days of the ledger's history (once, after upgrading).",
)
def checkpoint_command(backfill_days: int | None) -> None:
    """Checkpoint the balances that moved since the last round (the daily job does it too)."""
    if backfill_days:
        with click.progressbar(
            length=history_days() // backfill_days + 1, label="Checkpointing the history"
        ) as bar:
            made = backfill_checkpoints(every_days=backfill_days, progress=bar.update)
    else:
        with click.progressbar(length=shops_to_checkpoint(), label="Checkpointing balances") as bar:
            made = make_checkpoints(progress=bar.update)
    db.session.commit()
    click.echo(
        f"{made} balance checkpoints made."
        if made
        else "No balance moved since the last checkpoints."
    )
