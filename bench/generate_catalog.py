"""Fill the configured database with a big catalog: shops, products, variants, stock, search.

    .venv/bin/python -m bench.generate_catalog --shops 1000 --products 100000 [--seed 1]

Writes to ``MALL_DATABASE_URL`` (normally a PostgreSQL bench database, migrated
by the owner role; see bench/README.md) as the app would, under
``all_tenants("bench: bulk generation")`` so that row-level security lets the
app role write every shop's rows. Everything goes in with bulk inserts
(executemany, ``--batch`` rows at a time) and one commit per batch; the
full-text index is filled set-based per batch (PostgreSQL: one ``UPDATE … FROM
tenants, categories``; SQLite: ``INSERT INTO product_search … SELECT``).

Every shop is new (slugs ``bench-<run>-<n>``), so the script can run again to
add more. The category tree is the demo's (``mall.demo.catalog.CATEGORY_TREE``).
"""

from __future__ import annotations

import math
import random
import secrets
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

import click
import sqlalchemy as sa

from mall import create_app
from mall.catalog.models import (
    Category,
    Product,
    ProductKind,
    ProductStatus,
    StockMovement,
    StockReason,
    Variant,
)
from mall.catalog.services import slugify
from mall.db import new_id, utcnow
from mall.demo.catalog import CATEGORY_TREE
from mall.extensions import db
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus

ADJECTIVES = (
    "Amber", "Rustic", "Nordic", "Classic", "Handmade", "Organic", "Vintage", "Compact",
    "Deluxe", "Everyday", "Heritage", "Coastal", "Alpine", "Urban", "Wild", "Golden", "Misty",
    "Quiet", "Bright", "Evening", "Morning", "Hidden", "Northern", "Little", "Grand",
)  # fmt: skip
MATERIALS = (
    "Oak", "Linen", "Wool", "Copper", "Cotton", "Slate", "Walnut", "Canvas", "Stoneware",
    "Brass", "Cedar", "Juniper", "Saffron", "Indigo", "Moss", "Ember", "Pebble", "Willow",
)  # fmt: skip
NOUNS: dict[str, tuple[str, ...]] = {
    "seeds": ("Tomato Seeds", "Basil Seeds", "Sunflower Seeds", "Carrot Seeds", "Poppy Mix"),
    "garden-tools": ("Trowel", "Pruning Shears", "Garden Fork", "Watering Can", "Rake"),
    "planters": ("Planter", "Terracotta Pot", "Window Box", "Hanging Basket", "Raised Bed"),
    "poetry": ("Poems", "Sonnets", "Verses", "Haiku", "Ballads"),
    "maps": ("Walking Map", "Star Chart", "Road Atlas", "City Map", "Nautical Chart"),
    "field-guides": ("Guide to Birds", "Guide to Trees", "Guide to Mushrooms", "Guide to Moths"),
    "coffee": ("Espresso Blend", "Single Origin", "Decaf", "Filter Roast", "Cold Brew"),
    "tea": ("Green Tea", "Earl Grey", "Chai", "Oolong", "Herbal Infusion"),
    "brewing-gear": ("Kettle", "Dripper", "French Press", "Grinder", "Moka Pot"),
    "outerwear": ("Rain Jacket", "Parka", "Down Vest", "Field Jacket", "Fleece"),
    "footwear": ("Walking Boots", "Trail Shoes", "Sandals", "Wellingtons", "Slippers"),
    "knitwear": ("Beanie", "Jumper", "Cardigan", "Scarf", "Socks"),
    "fonts": ("Serif Font", "Sans Font", "Display Font", "Mono Font", "Script Font"),
    "art-packs": ("Texture Pack", "Icon Set", "Brush Pack", "Pattern Set", "Sticker Pack"),
    "templates": ("Resume Template", "Slide Deck", "Social Kit", "Invoice Template", "Planner"),
    "kits": ("Soldering Kit", "Robot Kit", "Synth Kit", "Weather Station Kit", "LED Kit"),
    "components": ("Resistor Set", "Breadboard", "Sensor Module", "Dev Board", "Jumper Wires"),
}
DIGITAL = {"fonts", "art-packs", "templates"}
SIZES = ("XS", "S", "M", "L", "XL")
SHOP_WORDS = ("Fox", "Heron", "Lantern", "Kettle", "Anchor", "Thistle", "Acorn", "Harbour")
SHOP_KINDS = ("Trading Co.", "Supply", "Goods", "Workshop", "Emporium", "Store", "& Sons")
SENTENCES = (
    "Made in small batches by people who care about the details.",
    "A favourite with our regulars, and easy to give as a gift.",
    "Built to last, and easy to repair when it finally needs it.",
    "Ships within two working days in plastic-free packaging.",
    "Every piece is checked by hand before it leaves the workshop.",
    "Pairs well with everything else in the collection.",
)


class Generator:
    """Builds rows as dicts; ``rng`` makes a run repeatable for a given seed."""

    def __init__(self, seed: int, run: str) -> None:
        self.rng = random.Random(seed)
        self.run = run
        self.now = utcnow()
        self.counter = 0

    def when(self, days: int = 365) -> Any:
        return self.now - timedelta(seconds=self.rng.randint(0, days * 86400))

    def shop(self, n: int) -> dict[str, Any]:
        rng = self.rng
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(SHOP_WORDS)} {rng.choice(SHOP_KINDS)}"
        status = TenantStatus.ACTIVE if rng.random() < 0.95 else TenantStatus.PENDING
        created = self.when(730)
        return {
            "id": new_id(),
            "slug": f"bench-{self.run}-{n:05d}",
            "name": name,
            "description": f"{name}: {rng.choice(SENTENCES)}",
            "status": status,
            "commission_rate_bp": 1000,
            "policies": "",
            "created_at": created,
            "updated_at": created,
        }

    def product(
        self, tenant_id: UUID, category: tuple[UUID, str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """A product row, its variant rows and its stock receipt rows."""
        rng = self.rng
        self.counter += 1
        number = self.counter
        category_id, category_slug = category
        digital = category_slug in DIGITAL
        adjective, material = rng.choice(ADJECTIVES), rng.choice(MATERIALS)
        title = f"{adjective} {material} {rng.choice(NOUNS[category_slug])}"
        body = f"{title}. {rng.choice(SENTENCES)} {rng.choice(SENTENCES)}"
        product_id = new_id()
        created = self.when()
        published = rng.random() < 0.9
        count = rng.choices((1, 2, 3, 4, 5), weights=(30, 15, 25, 15, 15))[0]
        base = rng.randint(3, 300) * 100 - rng.choice((0, 1, 5, 51))
        discounted = rng.random() < 0.15
        variants, movements = [], []
        sizes = SIZES[:count] if count > 1 else ()
        for position in range(count):
            choice = {"Size": sizes[position]} if sizes else {}
            price = base + position * 250
            stock = 0 if digital or rng.random() < 0.1 else rng.randint(1, 60)
            variant_id = new_id()
            variants.append(
                {
                    "tenant_id": tenant_id,
                    "id": variant_id,
                    "product_id": product_id,
                    "sku": f"B{self.run.upper()}-{number:07d}-{position + 1}",
                    "option_values": choice,
                    "option_key": f"Size={sizes[position]}" if sizes else "",
                    "price": price,
                    "compare_at_price": price + price // 5 if discounted else None,
                    "position": position,
                    "track_stock": not digital,
                    "allow_backorder": False,
                    "low_stock_threshold": 0 if digital else 3,
                    "stock_quantity": stock,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if stock:
                movements.append(
                    {
                        "tenant_id": tenant_id,
                        "id": new_id(),
                        "product_id": product_id,
                        "variant_id": variant_id,
                        "delta": stock,
                        "reason": StockReason.RECEIPT,
                        "note": "bench opening stock",
                        "created_at": created,
                    }
                )
        prices = [v["price"] for v in variants]
        product = {
            "tenant_id": tenant_id,
            "id": product_id,
            "title": title,
            "slug": f"{slugify(title)}-{number}",
            "description_md": body,
            "description_html": f"<p>{body}</p>",
            "kind": ProductKind.DIGITAL if digital else ProductKind.PHYSICAL,
            "status": ProductStatus.PUBLISHED if published else ProductStatus.DRAFT,
            "tax_class": "standard",
            "weight_grams": None if digital else rng.randint(50, 3000),
            "category_id": category_id,
            "options": [{"name": "Size", "values": list(sizes)}] if sizes else [],
            "tags": [category_slug, adjective.lower(), material.lower()],
            "price_min": min(prices),
            "price_max": max(prices),
            "compare_at_max": max(v["compare_at_price"] for v in variants) if discounted else None,
            "in_stock": digital or any(v["stock_quantity"] > 0 for v in variants),
            "sales_count": int(rng.expovariate(1 / 20)) if rng.random() < 0.6 else 0,
            "published_at": created if published else None,
            "created_at": created,
            "updated_at": created,
        }
        return product, variants, movements


# ---------------------------------------------------------------- search index, set-based

PG_INDEX = sa.text(
    """
UPDATE products AS p SET search_vector =
    setweight(to_tsvector('simple', unaccent(p.title)), 'A')
    || setweight(to_tsvector('simple', unaccent(
         coalesce((SELECT string_agg(v.sku, ' ' ORDER BY v.position) FROM variants v
                   WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id), '')
         || ' ' ||
         coalesce((SELECT string_agg(tag, ' ') FROM json_array_elements_text(p.tags) AS tag), '')
       )), 'A')
    || setweight(to_tsvector('simple', unaccent(t.name || ' ' || c.name)), 'B')
    || setweight(to_tsvector('simple',
         unaccent(regexp_replace(p.description_html, '<[^>]*>', ' ', 'g'))), 'C')
FROM tenants AS t, categories AS c
WHERE t.id = p.tenant_id AND c.id = p.category_id
  AND (p.tenant_id, p.id) IN (
      SELECT * FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:ids AS uuid[])))
"""
)

SQLITE_INDEX = """
INSERT INTO product_search (tenant_id, product_id, title, body, skus, shop, category, tags)
SELECT p.tenant_id, p.id, p.title,
       replace(replace(p.description_html, '<p>', ''), '</p>', ' '),
       (SELECT group_concat(v.sku, ' ') FROM variants v
         WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id),
       t.name, c.name,
       (SELECT group_concat(value, ' ') FROM json_each(p.tags))
FROM products p JOIN tenants t ON t.id = p.tenant_id JOIN categories c ON c.id = p.category_id
WHERE p.id IN ({marks})
"""


def index_batch(products: list[dict[str, Any]]) -> None:
    """Fill the full-text index for one batch of new products (one statement)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        db.session.execute(
            PG_INDEX,
            {
                "tenant_ids": [p["tenant_id"] for p in products],
                "ids": [p["id"] for p in products],
            },
        )
        return
    for start in range(0, len(products), 500):  # SQLite's parameter limit
        chunk = products[start : start + 500]
        marks = ", ".join(f":id{n}" for n in range(len(chunk)))
        db.session.execute(
            sa.text(SQLITE_INDEX.format(marks=marks)),
            {f"id{n}": p["id"].hex for n, p in enumerate(chunk)},
        )


# ---------------------------------------------------------------- steps


def ensure_categories() -> list[tuple[UUID, str]]:
    """The demo category tree (created when missing); returns the leaves (id, slug)."""
    existing = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    for n, (name, slug, children) in enumerate(CATEGORY_TREE):
        parent = existing.get(slug)
        if parent is None:
            parent = existing[slug] = Category(name=name, slug=slug, position=n)
            db.session.add(parent)
            db.session.flush()
        for m, (child_name, child_slug) in enumerate(children):
            if child_slug not in existing:
                existing[child_slug] = Category(
                    name=child_name, slug=child_slug, parent_id=parent.id, position=m
                )
                db.session.add(existing[child_slug])
    db.session.commit()
    return [(existing[slug].id, slug) for slug in NOUNS if slug in existing]


def generate(shops: int, products: int, seed: int, batch: int) -> dict[str, float]:
    """Insert the rows; returns counts and timings."""
    run = secrets.token_hex(2)
    gen = Generator(seed, run)
    stats = {"shops": 0, "products": 0, "variants": 0, "stock_movements": 0}
    started = time.perf_counter()
    with all_tenants("bench: bulk generation"):
        leaves = ensure_categories()
        shop_ids: list[UUID] = []
        for start in range(0, shops, batch):
            rows = [gen.shop(n) for n in range(start, min(shops, start + batch))]
            db.session.execute(sa.insert(Tenant), rows)
            db.session.commit()
            shop_ids += [r["id"] for r in rows]
        stats["shops"] = len(shop_ids)
        shops_done = time.perf_counter()
        batches = math.ceil(products / batch)
        with click.progressbar(length=products, label="products", show_pos=True) as bar:
            for number in range(batches):
                size = min(batch, products - number * batch)
                product_rows, variant_rows, movement_rows = [], [], []
                for _ in range(size):
                    # Skewed: a few big shops, a long tail of small ones.
                    shop_id = shop_ids[int(len(shop_ids) * gen.rng.random() ** 2)]
                    product, variants, movements = gen.product(shop_id, gen.rng.choice(leaves))
                    product_rows.append(product)
                    variant_rows += variants
                    movement_rows += movements
                db.session.execute(sa.insert(Product), product_rows)
                db.session.execute(sa.insert(Variant), variant_rows)
                if movement_rows:
                    db.session.execute(sa.insert(StockMovement), movement_rows)
                index_batch(product_rows)
                db.session.commit()
                stats["products"] += len(product_rows)
                stats["variants"] += len(variant_rows)
                stats["stock_movements"] += len(movement_rows)
                bar.update(size)
    finished = time.perf_counter()
    stats["shop_seconds"] = shops_done - started
    stats["seconds"] = finished - started
    stats["run"] = run  # type: ignore[assignment]
    return stats


@click.command()
@click.option("--shops", default=1000, show_default=True, help="Shops to create.")
@click.option("--products", default=100_000, show_default=True, help="Products to create.")
@click.option("--seed", default=1, show_default=True, help="Random seed (repeatable data).")
@click.option("--batch", default=5000, show_default=True, help="Rows per bulk insert.")
def main(shops: int, products: int, seed: int, batch: int) -> None:
    """Fill MALL_DATABASE_URL with shops, products, variants, stock and search documents."""
    if shops < 1 or products < 0 or batch < 1:
        raise click.BadParameter("shops and batch must be positive, products zero or more")
    app = create_app()
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        click.echo(f"Generating {shops} shops and {products} products into {url}")
        stats = generate(shops, products, seed, batch)
        db.session.remove()
    rows = sum(stats[k] for k in ("shops", "products", "variants", "stock_movements"))
    click.echo(
        f"Run {stats['run']}: {stats['shops']} shops, {stats['products']} products, "
        f"{stats['variants']} variants, {stats['stock_movements']} stock movements "
        f"({rows} rows) in {stats['seconds']:.1f} s: {rows / stats['seconds']:,.0f} rows/s, "
        f"{stats['products'] / max(stats['seconds'] - stats['shop_seconds'], 1e-9):,.0f} "
        "products/s (with variants, stock and search index)."
    )


if __name__ == "__main__":
    main()
