"""``flask --app wsgi mall catalog …``: import and export a shop's catalog as CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from mall.catalog import csv_io
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import Tenant

catalog_cli = AppGroup("catalog", help="A shop's catalog: CSV import and export.")


def find_shop(slug: str) -> Tenant:
    """The shop with this slug, or a usage error."""
    shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug.lower()))
    if shop is None:
        raise click.BadParameter(f"no shop with the slug {slug!r}", param_hint="SHOP")
    return shop


@catalog_cli.command("import")
@click.argument("shop_slug", metavar="SHOP")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(shop_slug: str, file: Path) -> None:
    """Check every row of FILE, then import it into SHOP (nothing is imported on any error)."""
    shop = find_shop(shop_slug)
    with tenant_context(shop):
        parsed = csv_io.parse_csv(file.read_bytes())
        with click.progressbar(length=parsed.total_rows, label=f"Checking {file.name}") as bar:
            done = 0

            def progress(rows: int) -> None:
                nonlocal done
                bar.update(rows - done)
                done = rows

            errors = csv_io.validate(parsed, on_progress=progress)
        if errors:
            db.session.rollback()
            for error in errors:
                click.echo(str(error), err=True)
            click.echo(f"{len(errors)} problem(s): nothing was imported.", err=True)
            sys.exit(1)
        result = csv_io.apply(parsed, note=f"CSV import {file.name}"[:200])
        db.session.commit()
    click.echo(
        f"{shop.slug}: {result.created} product(s) created, {result.updated} updated, "
        f"{result.unchanged} unchanged; {result.stock_movements} stock adjustment(s)."
    )


@catalog_cli.command("export")
@click.argument("shop_slug", metavar="SHOP")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_command(shop_slug: str, file: Path | None) -> None:
    """Write SHOP's catalog as CSV to FILE (standard output when no FILE is given)."""
    shop = find_shop(shop_slug)
    with tenant_context(shop):
        if file is None:
            csv_io.export_csv(sys.stdout)
            sys.stdout.flush()
            return
        with open(file, "w", encoding="utf-8", newline="") as stream:
            rows = csv_io.export_csv(stream)
    click.echo(f"Wrote {rows} row(s) to {file}.", err=True)
