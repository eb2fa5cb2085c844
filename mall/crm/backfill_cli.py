"""``flask --app wsgi mall backfill [--shop SLUG]``: what paid orders from before invoices and the
CRM existed are missing, made now.

Shop by shop, in its own tenant context: the missing invoices in order of payment, then the
missing credit notes of refunds (``mall.invoices.backfill``), then the customer rows and
totals (``mall.crm.backfill``). Each step walks keyset batches and the command commits
after every batch, so a shop's invoice counter is locked only for a batch at a time.
Safe to run again: a second run says there is nothing to do. Here, with the CRM, because
the CRM wires itself after invoices (``mall.create_app``): the one command drives both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
import sqlalchemy as sa

from mall.crm.backfill import backfill_customers, customer_backlog
from mall.extensions import db
from mall.invoices.backfill import backfill_credit_notes, backfill_invoices, document_backlog
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus


@dataclass(frozen=True)
class _Step:
    what: str  # "invoice(s)"…, for the summary
    run: Callable[..., object]  # (shop, after=) -> a batch with walked, after and a count
    made: str  # the batch's attribute counting what was made


STEPS = (
    _Step("invoice(s)", backfill_invoices, "issued"),
    _Step("credit note(s)", backfill_credit_notes, "issued"),
    _Step("customer record(s) added or brought up to date", backfill_customers, "recorded"),
)


def _shops(slug: str | None) -> list[Tenant]:
    if slug is None:
        # A closed shop's keys are destroyed: nothing of it can be read or sealed again.
        return list(
            db.session.scalars(
                sa.select(Tenant).where(Tenant.status != TenantStatus.CLOSED).order_by(Tenant.slug)
            )
        )
    shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug.strip().lower()))
    if shop is None:
        raise click.BadParameter(f"no shop with the slug {slug!r}", param_hint="--shop")
    if shop.status is TenantStatus.CLOSED:
        raise click.BadParameter(
            f"the shop {shop.slug!r} is closed: its data is erased", param_hint="--shop"
        )
    return [shop]


def _backfill_shop(shop: Tenant, progress: Callable[[int], None]) -> list[int]:
    made = []
    for step in STEPS:
        count, after = 0, None
        while True:
            batch = step.run(shop, after=after)
            db.session.commit()  # batch by batch: the counter row is held for one batch only
            progress(batch.walked)
            count += getattr(batch, step.made)
            after = batch.after
            if after is None:
                break
        made.append(count)
    return made


@click.command("backfill")
@click.option("--shop", "slug", default=None, metavar="SLUG", help="Only this shop.")
def backfill_command(slug: str | None) -> None:
    """Issue the missing invoices and credit notes of paid orders, and add or correct their
    shops' customer records (orders paid before those existed). Safe to run again."""
    shops = _shops(slug)
    backlog = 0
    for shop in shops:
        with tenant_context(shop):
            backlog += document_backlog() + customer_backlog(shop)
    db.session.commit()
    totals = [0] * len(STEPS)
    lines = []
    with click.progressbar(length=backlog, label="Backfilling paid orders") as bar:
        for shop in shops:
            with tenant_context(shop):
                made = _backfill_shop(shop, bar.update)
            totals = [a + b for a, b in zip(totals, made, strict=True)]
            if any(made):
                lines.append(f"{shop.slug}: {_summary(made)}.")
    for line in lines:
        click.echo(line)
    if any(totals):
        click.echo(f"Done: {_summary(totals)}.")
    else:
        click.echo(
            "Nothing to do: every paid order has its invoice and credit notes, and every "
            "customer record is up to date."
        )


def _summary(counts: list[int]) -> str:
    return ", ".join(f"{count} {step.what}" for step, count in zip(STEPS, counts, strict=True))
