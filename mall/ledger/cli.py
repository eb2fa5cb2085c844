"""``flask --app wsgi mall ledger …``: verify the chain and every entry's balance."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from mall.extensions import db
from mall.ledger.services import entry_count, record_verification, run_verification

ledger_cli = AppGroup("ledger", help="The double-entry ledger: verification.")


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
