"""``flask --app wsgi mall keys …``: rotate, rotate-master, status."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from mall.extensions import db
from tenants.keys.fields import key_service
from tenants.keys.rotation import rotate_scope, rows_to_rotate, version_counts
from tenants.keys.service import PLATFORM, tenant_scope
from tenants.models import Tenant

keys_cli = AppGroup("keys", help="Data keys: rotation, master-key rotation, status.")


def resolve_scope(name: str) -> str:
    """``platform`` or a shop's slug -> a key scope."""
    if name == PLATFORM:
        return PLATFORM
    shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == name.lower()))
    if shop is None:
        raise click.BadParameter(f"no shop with the slug {name!r} (or use 'platform')")
    return tenant_scope(shop.id)


@keys_cli.command("rotate")
@click.option("--scope", "scope_name", required=True, help="'platform' or a shop's slug.")
@click.option("--batch-size", default=500, show_default=True)
def rotate_command(scope_name: str, batch_size: int) -> None:
    """Make a new data key primary, re-encrypt the scope's rows, retire the old key."""
    scope = resolve_scope(scope_name)
    primary, _ = key_service().start_rotation(scope)
    total = rows_to_rotate(scope, primary)
    with click.progressbar(length=total, label=f"Re-encrypting {scope_name}") as bar:
        report = rotate_scope(scope, batch_size=batch_size, on_batch=bar.update)
    click.echo(f"{scope_name}: primary is now version {report.primary}; ")
    click.echo(f"  re-encrypted {report.re_encrypted} value(s)")
    if report.retired:
        click.echo(f"  retired version(s) {', '.join(map(str, report.retired))}")
    for version, count in report.remaining.items():
        click.echo(f"  version {version} still has {count} value(s): run this command again")


@keys_cli.command("rotate-master")
def rotate_master_command() -> None:
    """Re-wrap every data key under the newest master key (no data rows change)."""
    count = key_service().rotate_master()
    click.echo(
        f"Re-wrapped {count} data key(s) under master key version "
        f"{key_service().provider.primary_version}."
    )


@keys_cli.command("status")
@click.option("--scope", "scope_name", default=None, help="'platform' or a shop's slug.")
def status_command(scope_name: str | None) -> None:
    """Key versions, their state and master key, and how many values use each."""
    scope_filter = resolve_scope(scope_name) if scope_name else None
    rows = key_service().store.all_rows(scope_filter)
    if not rows:
        click.echo("No data keys yet.")
        return
    slugs = _slugs_by_scope()
    counts: dict[str, dict[int, int]] = {}
    click.echo(
        f"{'scope':<28} {'purpose':<12} {'ver':>3} {'state':<13} {'master':>6} {'values':>7}"
    )
    for row in rows:
        if row.scope not in counts:
            counts[row.scope] = _safe_counts(row.scope)
        values = counts[row.scope].get(row.version, 0) if row.purpose == "encryption" else "-"
        click.echo(
            f"{slugs.get(row.scope, row.scope):<28} {row.purpose:<12} {row.version:>3} "
            f"{row.state:<13} {row.master_version:>6} {values:>7}"
        )


def _slugs_by_scope() -> dict[str, str]:
    return {tenant_scope(i): s for i, s in db.session.execute(sa.select(Tenant.id, Tenant.slug))}


def _safe_counts(scope: str) -> dict[int, int]:
    try:
        return version_counts(scope)
    finally:
        db.session.rollback()
