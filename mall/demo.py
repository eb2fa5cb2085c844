"""The demo mall: what ``flask --app wsgi mall seed-demo`` creates (idempotent).

Each capability adds its part here; running it again changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from mall.extensions import db
from tenants.models import Tenant, TenantStatus
from tenants.services import add_domain, create_shop

DEMO_SHOPS = (
    (
        "green-thumb",
        "Green Thumb Garden Supply",
        "Seeds, tools and patient advice for gardens of every size.",
        TenantStatus.ACTIVE,
    ),
    (
        "paper-lantern",
        "Paper Lantern Books",
        "New and second-hand books, with a soft spot for poetry and maps.",
        TenantStatus.ACTIVE,
    ),
    (
        "copper-kettle",
        "Copper Kettle Coffee",
        "Small-batch roasts, brewing gear and the odd biscuit.",
        TenantStatus.ACTIVE,
    ),
    (
        "northwind-outfitters",
        "Northwind Outfitters",
        "Rain shells, wool layers and boots that last.",
        TenantStatus.ACTIVE,
    ),
    (
        "pixel-forge",
        "Pixel Forge",
        "Digital art packs, fonts and templates, delivered instantly.",
        TenantStatus.ACTIVE,
    ),
    (
        "bright-sparks",
        "Bright Sparks Electronics",
        "Kits and components for makers. Opening soon.",
        TenantStatus.PENDING,
    ),
    (
        "old-mill-antiques",
        "Old Mill Antiques",
        "Furniture and curiosities from the old mill.",
        TenantStatus.SUSPENDED,
    ),
)
DEMO_DOMAINS = (("copper-kettle", "copper-kettle.example"),)


def seed_demo() -> list[str]:
    """Create the demo shops that are missing; returns lines that say what exists."""
    report: list[str] = []
    created = 0
    for slug, name, description, status in DEMO_SHOPS:
        shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        if shop is None:
            shop = create_shop(slug, name=name, description=description, status=status)
            created += 1
        report.append(f"  shop {shop.slug:<22} {shop.status.value:<10} /shop/{shop.slug}/")
    for slug, host in DEMO_DOMAINS:
        shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        add_domain(shop, host)
        report.append(f"  domain {host} -> {slug}")
    header = (
        f"Demo mall ready ({created} shop(s) created, {len(DEMO_SHOPS) - created} already there):"
    )
    footer = [
        "Open http://127.0.0.1:5000/ — shops also answer at http://<slug>.localhost:5000/.",
        "Sign-in accounts arrive with the accounts capability; nothing to sign in to yet.",
    ]
    return [header, *report, *footer]
