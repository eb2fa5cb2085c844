"""The demo catalog: the mall's category tree and the products of the five active demo shops.

Called by ``mall.demo.people.seed_demo`` (a composition module, like it). Idempotent:
categories are matched by slug and products by slug within their shop; a
product that exists is left as it is (with its images, stock and files).

Pictures are flat illustrations drawn with Pillow (a gradient, a few shapes,
the product's initials), 800x800 PNG, stored through ``mall.storage`` under
``products/<shop id>/``; thumbnails are made by the thumbnail job. Digital
products get a small generated ZIP under ``digital/<shop id>/``.

The content (category tree, each shop's products) is data: ``catalog.json``
beside this module, read once on import into ``CATEGORY_TREE`` and ``DEMO_CATALOG``.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import itertools
import json
import random
import re
import zipfile
from functools import cache
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from mall.catalog.jobs import make_thumbnail
from mall.catalog.models import (
    Category,
    DigitalFile,
    Product,
    ProductImage,
    ProductKind,
    ProductStatus,
    StockReason,
)
from mall.catalog.services import ProductInput, VariantInput, create_product, slugify
from mall.catalog.stock import adjust_stock
from mall.db import new_id
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.storage import random_key, storage
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus

IMAGE_SIZE = 800
LOW_STOCK_THRESHOLD = 3

# ---------------------------------------------------------------- content

DATA_FILE = "catalog.json"
# The keys of every product in ``catalog.json``, in the order written there. Variants
# are every combination of ``options``; ``surcharge`` adds to the price per option value,
# ``compare_extra`` sets a compare-at price that much above it, ``stock`` fixes the stock
# of variants with an option value (``"*"``: every variant; others get 6 to 40).
PRODUCT_FIELDS = (
    "title",
    "code",
    "category",
    "price",
    "description",
    "tags",
    "options",
    "surcharge",
    "compare_extra",
    "stock",
    "sales",
    "images",
    "weight",
)

# (name, slug, ((name, slug), ...)) in display order.
CategoryTree = tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
# shop slug -> (products, digital?, base hue 0..1 for its pictures)
DemoCatalog = dict[str, tuple[tuple[dict[str, Any], ...], bool, float]]


@cache
def load_catalog() -> tuple[CategoryTree, DemoCatalog]:
    """``catalog.json`` as ``(CATEGORY_TREE, DEMO_CATALOG)``; lists become tuples."""
    data = json.loads((files("mall.demo") / DATA_FILE).read_text(encoding="utf-8"))
    tree = tuple(
        (c["name"], c["slug"], tuple((k["name"], k["slug"]) for k in c["children"]))
        for c in data["categories"]
    )
    catalog = {
        slug: (tuple(_spec(slug, p) for p in shop["products"]), shop["digital"], shop["hue"])
        for slug, shop in data["shops"].items()
    }
    return tree, catalog


def _spec(shop: str, product: dict[str, Any]) -> dict[str, Any]:
    if set(product) != set(PRODUCT_FIELDS):
        raise ValueError(
            f"{DATA_FILE}: {shop} / {product.get('title')!r} has keys {sorted(product)}, "
            f"expected {sorted(PRODUCT_FIELDS)}"
        )
    spec = {field: product[field] for field in PRODUCT_FIELDS}
    spec["tags"] = tuple(spec["tags"])
    spec["options"] = tuple((o["name"], tuple(o["values"])) for o in spec["options"])
    return spec


CATEGORY_TREE, DEMO_CATALOG = load_catalog()

# ---------------------------------------------------------------- seeding


def seed_catalog() -> list[str]:
    """Create what is missing of the demo catalog; returns lines that say what exists."""
    created_categories, category_ids = _seed_categories()
    shops = {
        shop.slug: shop
        for shop in db.session.scalars(sa.select(Tenant).where(Tenant.slug.in_(DEMO_CATALOG)))
    }
    lines = []
    totals = {"products": 0, "images": 0, "files": 0}
    for slug, (specs, digital, hue) in DEMO_CATALOG.items():
        shop = shops.get(slug)
        if shop is None or shop.status is not TenantStatus.ACTIVE:
            continue
        with tenant_context(shop):
            made = _seed_shop_products(shop, specs, digital, hue, category_ids)
        for key in totals:
            totals[key] += made[key]
        lines.append(
            f"  catalog {slug:<22} {len(specs)} products ({made['products']} new, "
            f"{made['images']} pictures, {made['files']} files)"
        )
    db.session.flush()
    return [
        f"Demo catalog ready ({created_categories} categories and {totals['products']} "
        f"products created, {totals['images']} pictures, {totals['files']} digital files):",
        *lines,
    ]


def _seed_categories() -> tuple[int, dict[str, Any]]:
    existing = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    created = 0

    def ensure(name: str, slug: str, parent: Category | None, position: int) -> Category:
        nonlocal created
        category = existing.get(slug)
        if category is None:
            category = Category(
                name=name, slug=slug, parent_id=parent.id if parent else None, position=position
            )
            db.session.add(category)
            db.session.flush()
            existing[slug] = category
            created += 1
        return category

    for n, (name, slug, children) in enumerate(CATEGORY_TREE):
        parent = ensure(name, slug, None, n)
        for m, (child_name, child_slug) in enumerate(children):
            ensure(child_name, child_slug, parent, m)
    return created, {slug: category.id for slug, category in existing.items()}


def _seed_shop_products(
    shop: Tenant,
    specs: tuple[dict[str, Any], ...],
    digital: bool,
    hue: float,
    category_ids: dict[str, Any],
) -> dict[str, int]:
    made = {"products": 0, "images": 0, "files": 0}
    existing = set(db.session.scalars(sa.select(Product.slug)))
    for index, spec in enumerate(specs):
        slug = slugify(spec["title"])
        if slug in existing:
            continue
        product = create_product(_product_input(spec, slug, digital, category_ids))
        product.sales_count = spec["sales"]
        for variant in product.variants:
            if variant.track_stock:
                quantity = _stock_for(spec, variant.sku, variant.option_values)
                if quantity:
                    adjust_stock(
                        variant, quantity, reason=StockReason.RECEIPT, note="Demo opening stock"
                    )
            elif digital:
                _attach_file(shop, product, variant)
                made["files"] += 1
        made["images"] += _attach_images(shop, product, spec, hue + index * 0.015, first=index)
        made["products"] += 1
    db.session.flush()
    return made


def _product_input(
    spec: dict[str, Any], slug: str, digital: bool, category_ids: dict[str, Any]
) -> ProductInput:
    names = [name for name, _ in spec["options"]]
    combos = list(itertools.product(*(values for _, values in spec["options"]))) or [()]
    variants = []
    for combo in combos:
        choice = dict(zip(names, combo, strict=True))
        price = spec["price"] + sum(spec["surcharge"].get(value, 0) for value in combo)
        compare = price + spec["compare_extra"] if spec["compare_extra"] else None
        variants.append(
            VariantInput(
                sku=_sku(spec["code"], combo),
                price=price,
                compare_at_price=compare,
                option_values=choice,
                track_stock=not digital,
                low_stock_threshold=0 if digital else LOW_STOCK_THRESHOLD,
            )
        )
    return ProductInput(
        title=spec["title"],
        slug=slug,
        description_md=spec["description"],
        kind=ProductKind.DIGITAL if digital else ProductKind.PHYSICAL,
        status=ProductStatus.PUBLISHED,
        weight_grams=None if digital else spec["weight"],
        category_id=category_ids[spec["category"]],
        tags=list(spec["tags"]),
        options=[{"name": name, "values": list(values)} for name, values in spec["options"]],
        variants=variants,
    )


def _sku(code: str, combo: tuple[str, ...]) -> str:
    parts = [code, *(re.sub(r"[^A-Za-z0-9]", "", value).upper() for value in combo)]
    return "-".join(parts)[:64]


def _stock_for(spec: dict[str, Any], sku: str, choice: dict[str, str]) -> int:
    fixed = spec["stock"]
    if "*" in fixed:
        return fixed["*"]
    for value in choice.values():
        if value in fixed:
            return fixed[value]
    return random.Random(sku).randint(6, 40)  # noqa: S311  (demo stock, repeatable)


# ---------------------------------------------------------------- pictures


def initials(title: str) -> str:
    """``"The Orchard at Dusk"`` -> ``"OD"``: the first letters of two significant words."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title)]
    significant = [w for w in words if w.lower() not in {"a", "an", "and", "at", "of", "the"}]
    letters = "".join(w[0] for w in (significant or words)[:2]).upper()
    return letters or "?"


def _rgb(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return int(r * 255), int(g * 255), int(b * 255)


def illustration(title: str, hue: float, variant: int, *, size: int = IMAGE_SIZE) -> bytes:
    """A flat illustration as PNG bytes: gradient, simple shapes and the title's initials."""
    rng = random.Random(f"{title}|{variant}")  # noqa: S311  (repeatable pictures)
    dark = _rgb(hue, 0.45, 0.32)
    light = _rgb(hue + 0.06, 0.55, 0.78)
    accent = _rgb(hue + 0.45, 0.6, 0.62)
    mask = Image.linear_gradient("L").resize((size, size))
    if variant % 2:
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    image = Image.composite(
        Image.new("RGB", (size, size), light), Image.new("RGB", (size, size), dark), mask
    )
    draw = ImageDraw.Draw(image)
    unit = size // 16
    if variant % 3 == 0:  # a sun and rolling hills
        cx, cy = rng.randint(12, 13) * unit, rng.randint(3, 4) * unit
        draw.ellipse((cx - 2 * unit, cy - 2 * unit, cx + 2 * unit, cy + 2 * unit), fill=accent)
        draw.ellipse((-4 * unit, 11 * unit, 10 * unit, 22 * unit), fill=_rgb(hue, 0.4, 0.45))
        draw.ellipse((6 * unit, 12 * unit, 22 * unit, 24 * unit), fill=_rgb(hue, 0.45, 0.38))
    elif variant % 3 == 1:  # confetti of circles
        for _ in range(14):
            r = rng.randint(unit // 3, unit)
            x, y = rng.randint(0, size), rng.randint(0, size)
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=_rgb(hue + rng.random() * 0.2, 0.5, 0.6)
            )
    else:  # diagonal bands
        for k in range(-16, 32, 5):
            draw.polygon(
                [
                    (k * unit, 0),
                    ((k + 2) * unit, 0),
                    ((k - 14) * unit, size),
                    ((k - 16) * unit, size),
                ],
                fill=_rgb(hue + 0.03, 0.4, 0.7),
            )
    badge = 4 * unit
    centre = size // 2
    draw.ellipse(
        (centre - badge, centre - badge, centre + badge, centre + badge), fill=(252, 250, 245)
    )
    draw.ellipse(
        (centre - badge, centre - badge, centre + badge, centre + badge),
        outline=accent,
        width=max(2, unit // 4),
    )
    font = ImageFont.load_default(size=int(badge * 0.9))
    draw.text((centre, centre), initials(title), font=font, fill=dark, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


ALT_TEXT = (
    "Illustration for {title}: its initials {letters} on a sunny hillside",
    "Illustration for {title}: its initials {letters} among coloured circles",
    "Illustration for {title}: its initials {letters} on diagonal stripes",
)


def _attach_images(
    shop: Tenant, product: Product, spec: dict[str, Any], hue: float, *, first: int
) -> int:
    """1 to 3 pictures; ``first`` picks the style of the first, so listings vary."""
    count = max(1, min(3, spec["images"]))
    letters = initials(product.title)
    for position in range(count):
        key = random_key(f"products/{shop.id}", ".png")
        style = (first + position) % 3
        storage().save(key, illustration(product.title, hue, style))
        image_id = new_id()
        # Thumbnails are made by the same job as for uploads (inline after commit without Redis).
        enqueue_after_commit(make_thumbnail, image_id)
        db.session.add(
            ProductImage(
                id=image_id,
                product_id=product.id,
                storage_key=key,
                thumbnail_key=None,
                content_type="image/png",
                width=IMAGE_SIZE,
                height=IMAGE_SIZE,
                alt_text=ALT_TEXT[style].format(title=product.title, letters=letters),
                position=position,
            )
        )
    return count


# ---------------------------------------------------------------- digital files


def _attach_file(shop: Tenant, product: Product, variant: Any) -> None:
    choice = ", ".join(f"{k}: {v}" for k, v in sorted(variant.option_values.items()))
    readme = (
        f"{product.title}\n{'=' * len(product.title)}\n\n"
        f"Sold by {shop.name}. {choice or 'Standard edition'}.\n\n"
        "This is a demo file from the Mall demo catalog.\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("LICENCE.txt", f"{choice or 'Personal'} licence for {product.title}.\n")
        archive.writestr("preview.png", illustration(product.title, 0.78, 0, size=160))
    data = buffer.getvalue()
    filename = f"{product.slug}-{variant.sku.lower()}.zip"
    key = random_key(f"digital/{shop.id}", ".zip")
    storage().save(key, data)
    db.session.add(
        DigitalFile(
            variant_id=variant.id,
            storage_key=key,
            filename=filename,
            content_type="application/zip",
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    )
