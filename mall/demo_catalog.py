"""The demo catalog: the mall's category tree and the products of the five active demo shops.

Called by ``mall.demo.seed_demo`` (a composition module, like it). Idempotent:
categories are matched by slug and products by slug within their shop; a
product that exists is left as it is (with its images, stock and files).

Pictures are flat illustrations drawn with Pillow (a gradient, a few shapes,
the product's initials), 800x800 PNG, stored through ``mall.storage`` under
``products/<shop id>/``; thumbnails are left to the thumbnail job. Digital
products get a small generated ZIP under ``digital/<shop id>/``.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import itertools
import random
import re
import zipfile
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

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
from mall.extensions import db
from mall.storage import random_key, storage
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus

IMAGE_SIZE = 800
LOW_STOCK_THRESHOLD = 3

# (name, slug, [(name, slug), ...]) in display order.
CATEGORY_TREE: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Home & Garden",
        "home-garden",
        (("Seeds", "seeds"), ("Garden Tools", "garden-tools"), ("Planters", "planters")),
    ),
    ("Books", "books", (("Poetry", "poetry"), ("Maps", "maps"), ("Field Guides", "field-guides"))),
    (
        "Food & Drink",
        "food-drink",
        (("Coffee", "coffee"), ("Tea", "tea"), ("Brewing Gear", "brewing-gear")),
    ),
    (
        "Clothing",
        "clothing",
        (("Outerwear", "outerwear"), ("Footwear", "footwear"), ("Knitwear", "knitwear")),
    ),
    (
        "Digital",
        "digital",
        (("Fonts", "fonts"), ("Art Packs", "art-packs"), ("Templates", "templates")),
    ),
    ("Electronics", "electronics", (("Kits", "kits"), ("Components", "components"))),
)


def _p(
    title: str,
    code: str,
    category: str,
    price: int,
    description: str,
    *,
    tags: tuple[str, ...] = (),
    options: tuple[tuple[str, tuple[str, ...]], ...] = (),
    surcharge: dict[str, int] | None = None,
    compare_extra: int | None = None,
    stock: dict[str, int] | None = None,
    sales: int = 0,
    images: int = 2,
    weight: int | None = None,
) -> dict[str, Any]:
    """One demo product; variants are every combination of ``options``.

    ``surcharge`` adds to the price per option value, ``compare_extra`` sets a
    compare-at price that much above it, ``stock`` fixes the stock of variants
    with an option value (``"*"``: every variant); others get 6 to 40.
    """
    return {
        "title": title,
        "code": code,
        "category": category,
        "price": price,
        "description": description.strip() + "\n",
        "tags": tags,
        "options": options,
        "surcharge": surcharge or {},
        "compare_extra": compare_extra,
        "stock": stock or {},
        "sales": sales,
        "images": images,
        "weight": weight,
    }


GARDEN = (
    _p(
        "Heirloom Tomato Seed Collection",
        "GT-TOM",
        "seeds",
        895,
        """
Six open-pollinated tomatoes we grow in our own trial beds every summer:
**Brandywine**, **Black Krim**, **Green Zebra**, **Gardener's Delight**,
**San Marzano** and **Yellow Pear**.

- Around 25 seeds per variety
- Sow indoors 6 to 8 weeks before the last frost
- Saved seed comes true year after year

> Start them on a warm windowsill and pot on when the first true leaves appear.
""",
        tags=("tomatoes", "heirloom", "vegetables"),
        options=(("Pack", ("6 varieties", "12 varieties")),),
        surcharge={"12 varieties": 600},
        compare_extra=300,
        sales=142,
        images=3,
        weight=40,
    ),
    _p(
        "Wildflower Meadow Mix",
        "GT-WLD",
        "seeds",
        450,
        """
A native mix of 24 annuals and perennials for bees, butterflies and hoverflies.
Cornflower and poppy flower in the first summer; knapweed, oxeye daisy and
bird's-foot trefoil follow in the second.

**Coverage:** 10 g sows about 5 m².
""",
        tags=("wildflowers", "pollinators", "meadow"),
        options=(("Size", ("10 g", "50 g", "250 g")),),
        surcharge={"50 g": 1200, "250 g": 6450},
        stock={"250 g": 2},
        sales=97,
        images=2,
        weight=30,
    ),
    _p(
        "Sweet Basil 'Genovese' Seeds",
        "GT-BAS",
        "seeds",
        325,
        """
The classic large-leaved basil for pesto. Sow thinly on the surface of damp compost,
keep above 18 °C and pinch out the tips to keep plants bushy.
""",
        tags=("herbs", "basil", "kitchen garden"),
        sales=88,
        images=1,
        weight=10,
    ),
    _p(
        "Stainless Steel Hand Trowel",
        "GT-TRW",
        "garden-tools",
        2400,
        """
A one-piece stainless blade with depth markings in centimetres and an ash handle
that fits a gloved hand. Made to be passed on.

- Blade: 15 cm, polished stainless steel
- Handle: FSC ash, oiled
- Lifetime guarantee
""",
        tags=("tools", "trowel", "stainless steel"),
        compare_extra=500,
        sales=54,
        images=2,
        weight=280,
    ),
    _p(
        "Bypass Pruning Shears",
        "GT-PRN",
        "garden-tools",
        3400,
        """
Clean cuts on live stems up to 20 mm. Replaceable blade and spring, a sap groove
and a one-hand safety catch.
""",
        tags=("tools", "pruning", "secateurs"),
        options=(("Size", ("Small", "Large")),),
        surcharge={"Large": 400},
        stock={"Large": 0},
        images=2,
        weight=240,
    ),
    _p(
        "Ash-Handled Border Fork",
        "GT-FRK",
        "garden-tools",
        5900,
        """
Four forged tines and a T-handle of English ash: light enough for borders,
tough enough for clay.
""",
        tags=("tools", "fork", "digging"),
        stock={"*": 3},
        images=1,
        weight=1400,
    ),
    _p(
        "Terracotta Pot",
        "GT-POT",
        "planters",
        900,
        """
Hand-thrown, frost-resistant terracotta with a drainage hole and a matching saucer.
It weathers to a soft, chalky patina.
""",
        tags=("pots", "terracotta", "planters"),
        options=(("Size", ("12 cm", "20 cm", "30 cm")),),
        surcharge={"20 cm": 900, "30 cm": 2300},
        images=3,
        weight=900,
    ),
    _p(
        "Self-Watering Herb Box",
        "GT-HRB",
        "planters",
        3600,
        """
A windowsill planter with a 1-litre reservoir and a wick that waters three herbs
for up to two weeks. The gauge shows when to top up.
""",
        tags=("herbs", "windowsill", "self-watering"),
        options=(("Colour", ("Sage", "Charcoal", "Cream")),),
        stock={"Cream": 1},
        images=2,
        weight=1100,
    ),
)

BOOKS = (
    _p(
        "Salt and Lamplight: Collected Poems",
        "PL-SAL",
        "poetry",
        1400,
        """
Forty years of poems about harbours, kitchens and the long northern evenings,
collected for the first time.

*"Every line smells of the sea."*, The Lantern Review
""",
        tags=("poetry", "collected poems", "coast"),
        options=(("Format", ("Paperback", "Hardback")),),
        surcharge={"Hardback": 1000},
        sales=76,
        images=2,
        weight=420,
    ),
    _p(
        "The Orchard at Dusk",
        "PL-ORC",
        "poetry",
        1600,
        """
A debut collection of short lyric poems that follows one orchard through a year.
Second-hand copies are checked page by page and graded honestly.
""",
        tags=("poetry", "debut", "nature"),
        options=(("Condition", ("New", "Used - Very Good")),),
        surcharge={"Used - Very Good": -750},
        stock={"Used - Very Good": 1},
        images=1,
        weight=300,
    ),
    _p(
        "Haiku for Rainy Days",
        "PL-HKU",
        "poetry",
        1100,
        """
A pocket anthology of 120 haiku, old and new, about rain. Printed on cream
paper with a sewn binding, so it lies flat.
""",
        tags=("poetry", "haiku", "anthology", "gift"),
        sales=131,
        images=2,
        weight=180,
    ),
    _p(
        "Coastal Paths of the North: Walking Map",
        "PL-CST",
        "maps",
        1095,
        """
1:25,000 walking map of the northern coast path, with tide times for the crossings,
bus stops and cafés marked.

- 180 km of coastline on both sides of one sheet
- Laminated edition is waterproof and tear-proof
""",
        tags=("maps", "walking", "coast path"),
        options=(("Format", ("Folded", "Laminated")),),
        surcharge={"Laminated": 400},
        images=2,
        weight=120,
    ),
    _p(
        "Antique Star Chart Reproduction",
        "PL-STR",
        "maps",
        1800,
        """
A faithful reproduction of an 18th-century celestial chart, printed on heavy
matte stock with archival inks. Ready to frame.
""",
        tags=("maps", "astronomy", "prints"),
        options=(("Size", ("A3", "A2")),),
        surcharge={"A2": 1000},
        compare_extra=600,
        images=3,
        weight=200,
    ),
    _p(
        "Pocket Atlas of Lighthouses",
        "PL-LHT",
        "maps",
        1299,
        """
Two hundred lighthouses of the North Atlantic with charts, light characteristics and
the stories of their keepers.
""",
        tags=("maps", "lighthouses", "atlas"),
        images=1,
        weight=350,
    ),
    _p(
        "A Field Guide to Urban Birds",
        "PL-BRD",
        "field-guides",
        1699,
        """
Every bird you are likely to meet in a town or city, painted in life-like poses, with
song descriptions and a month-by-month calendar.
""",
        tags=("birds", "field guide", "nature"),
        options=(("Format", ("Paperback", "Hardback")),),
        surcharge={"Hardback": 1200},
        sales=44,
        images=2,
        weight=520,
    ),
    _p(
        "Mushrooms of Temperate Woodland",
        "PL-MSH",
        "field-guides",
        2199,
        """
Photographic keys to 400 species, with spore prints and look-alikes side by side.
**Never eat a wild mushroom on the strength of a book alone.**
""",
        tags=("fungi", "field guide", "foraging"),
        stock={"*": 0},
        images=2,
        weight=610,
    ),
)

COFFEE = (
    _p(
        "House Espresso Blend",
        "CK-ESP",
        "coffee",
        1250,
        """
Our everyday espresso: Brazilian and Guatemalan beans roasted medium-dark for
chocolate, hazelnut and a long caramel finish. It forgives a grinder that drifts.

| Origin | Process | Notes |
|---|---|---|
| Brazil, Cerrado | Natural | cocoa, nuts |
| Guatemala, Huehuetenango | Washed | caramel, orange |

Roasted on Mondays and Thursdays; we ship within a day of roasting.
""",
        tags=("coffee", "espresso", "blend"),
        options=(
            ("Size", ("250 g", "1 kg")),
            ("Grind", ("Whole bean", "Espresso", "Filter", "Cafetière")),
        ),
        surcharge={"1 kg": 2650},
        stock={"Cafetière": 2},
        sales=310,
        images=3,
        weight=250,
    ),
    _p(
        "Ethiopia Yirgacheffe",
        "CK-ETH",
        "coffee",
        1450,
        """
A bright, floral washed coffee from smallholders around Yirgacheffe: jasmine,
bergamot and lemon tea. Best as filter or pour-over.
""",
        tags=("coffee", "single origin", "ethiopia", "filter"),
        options=(("Size", ("250 g", "1 kg")), ("Grind", ("Whole bean", "Filter"))),
        surcharge={"1 kg": 3150},
        compare_extra=200,
        sales=188,
        images=2,
        weight=250,
    ),
    _p(
        "Colombia Decaf",
        "CK-DEC",
        "coffee",
        1350,
        """
Decaffeinated with sugar-cane ethyl acetate, so it keeps its red-apple sweetness.
Nobody will guess.
""",
        tags=("coffee", "decaf", "colombia"),
        options=(("Grind", ("Whole bean", "Espresso", "Filter")),),
        images=1,
        weight=250,
    ),
    _p(
        "Darjeeling First Flush",
        "CK-DRJ",
        "tea",
        950,
        """
Spring-picked leaf from a single estate: light, muscatel and floral. Brew at 85 °C
for three minutes.
""",
        tags=("tea", "darjeeling", "loose leaf"),
        options=(("Size", ("50 g", "100 g")),),
        surcharge={"100 g": 800},
        images=2,
        weight=50,
    ),
    _p(
        "Smoky Lapsang Souchong",
        "CK-LAP",
        "tea",
        1100,
        """
Pine-smoked black tea, bold enough for milk. Campfire in a cup.
""",
        tags=("tea", "smoky", "black tea"),
        stock={"*": 0},
        images=1,
        weight=100,
    ),
    _p(
        "Copper Pour-Over Kettle",
        "CK-KTL",
        "brewing-gear",
        6900,
        """
A gooseneck kettle for precise pouring, with a built-in thermometer and a
1-litre capacity. Works on gas, electric and induction hobs.
""",
        tags=("kettle", "pour-over", "brewing"),
        options=(("Finish", ("Copper", "Matte Black")),),
        surcharge={"Matte Black": -500},
        compare_extra=1000,
        sales=39,
        images=3,
        weight=900,
    ),
    _p(
        "Ceramic Pour-Over Dripper",
        "CK-DRP",
        "brewing-gear",
        2800,
        """
Glazed stoneware with spiral ribs for an even extraction. Takes size 02 filter papers.
""",
        tags=("dripper", "pour-over", "ceramic"),
        options=(("Colour", ("White", "Speckled Grey", "Terracotta")),),
        stock={"Terracotta": 0},
        images=2,
        weight=450,
    ),
    _p(
        "Stroopwafel Tin",
        "CK-STW",
        "food-drink",
        750,
        """
Eight caramel stroopwafels in a reusable tin. Rest one on your cup for a minute
and the caramel softens.
""",
        tags=("biscuits", "snacks", "gift"),
        sales=205,
        images=1,
        weight=300,
    ),
)

SIZES = ("S", "M", "L", "XL")
OUTFITTERS = (
    _p(
        "Storm Shell Rain Jacket",
        "NW-STM",
        "outerwear",
        18900,
        """
Three-layer waterproof shell (20,000 mm) with taped seams, pit zips and a hood that
turns with your head.

- Weight: 380 g
- Packs into its own chest pocket
- PFC-free water repellent finish
""",
        tags=("jackets", "waterproof", "hiking"),
        options=(("Size", SIZES), ("Colour", ("Navy", "Moss", "Ember"))),
        compare_extra=3100,
        stock={"XL": 1},
        sales=64,
        images=3,
        weight=380,
    ),
    _p(
        "Packable Down Vest",
        "NW-VST",
        "outerwear",
        12900,
        """
Responsibly sourced 700-fill down in a vest that stuffs into a fist-sized pouch.
""",
        tags=("vest", "down", "layering"),
        options=(("Size", SIZES), ("Colour", ("Black", "Slate"))),
        images=2,
        weight=260,
    ),
    _p(
        "Waxed Canvas Field Jacket",
        "NW-FLD",
        "outerwear",
        21900,
        """
Dry-waxed cotton canvas with a corduroy collar, four bellows pockets and brass
hardware. Re-wax once a year and it will outlast you.
""",
        tags=("jackets", "waxed canvas", "heritage"),
        options=(("Size", SIZES),),
        stock={"S": 0},
        images=2,
        weight=1300,
    ),
    _p(
        "Merino Crew Base Layer",
        "NW-MER",
        "knitwear",
        6900,
        """
200 gsm merino wool, flat-lock seams and a longer back. Warm when wet and doesn't
hold odour, so it can do a weekend on its own.
""",
        tags=("merino", "base layer", "wool"),
        options=(("Size", SIZES),),
        sales=83,
        images=2,
        weight=210,
    ),
    _p(
        "Fisherman's Rib Beanie",
        "NW-BNE",
        "knitwear",
        3200,
        """
A deep-cuffed beanie knitted in lambswool, in a chunky rib stitch.
""",
        tags=("hats", "wool", "knitwear"),
        options=(("Colour", ("Oatmeal", "Charcoal", "Rust")),),
        sales=57,
        images=1,
        weight=90,
    ),
    _p(
        "Wool Hiking Socks (3-pack)",
        "NW-SCK",
        "knitwear",
        2400,
        """
Cushioned merino-blend socks with a reinforced heel and toe. Three pairs.
""",
        tags=("socks", "merino", "hiking"),
        options=(("Size", ("S (36-39)", "M (40-43)", "L (44-47)")),),
        images=1,
        weight=150,
    ),
    _p(
        "Ridge Walking Boots",
        "NW-BTS",
        "footwear",
        16900,
        """
Full-grain leather uppers on a Vibram sole, with a waterproof membrane and a
stiff mid-sole for rocky ground. Resoleable.
""",
        tags=("boots", "leather", "hiking"),
        options=(("Size", ("38", "39", "40", "41", "42", "43", "44", "45")),),
        stock={"38": 0, "45": 0, "44": 2},
        sales=41,
        images=3,
        weight=1500,
    ),
    _p(
        "Trail Running Shoes",
        "NW-TRL",
        "footwear",
        11900,
        """
A light, grippy shoe with 5 mm lugs and a rock plate. Drains fast after stream
crossings.
""",
        tags=("running", "trail", "shoes"),
        options=(("Size", ("39", "40", "41", "42", "43", "44")),),
        compare_extra=2000,
        images=2,
        weight=580,
    ),
)

PIXEL = (
    _p(
        "Watercolour Skies Texture Pack",
        "PF-SKY",
        "art-packs",
        1500,
        """
**60 hand-painted watercolour skies** scanned at 600 dpi: dawns, storms, sunsets
and night skies. Drop them behind illustrations or use them as backgrounds.

- 60 JPG files, 6000 x 4000 px
- Personal licence: your own projects
- Commercial licence: client work and products for sale
""",
        tags=("textures", "watercolour", "backgrounds"),
        options=(("Licence", ("Personal", "Commercial")),),
        surcharge={"Commercial": 3000},
        sales=120,
        images=3,
    ),
    _p(
        "Retro Pixel Icon Set",
        "PF-ICN",
        "art-packs",
        900,
        """
480 icons drawn on a 16 x 16 grid, in four palettes. Crisp at any integer scale.
""",
        tags=("icons", "pixel art", "ui"),
        options=(("Format", ("PNG", "SVG + PNG")),),
        surcharge={"SVG + PNG": 500},
        sales=66,
        images=2,
    ),
    _p(
        "Hand-Drawn Botanical Illustrations",
        "PF-BOT",
        "art-packs",
        1900,
        """
75 ink illustrations of leaves, flowers and seed heads, as transparent PNGs and
vectors.
""",
        tags=("illustrations", "botanical", "vector"),
        options=(("Licence", ("Personal", "Commercial")),),
        surcharge={"Commercial": 3600},
        compare_extra=600,
        images=2,
    ),
    _p(
        "Quillmark Serif Font Family",
        "PF-QLL",
        "fonts",
        3900,
        """
A book serif in eight weights with true italics, small caps and old-style figures.
Covers Latin Extended.

Includes OTF, TTF and (with the web licence) WOFF2.
""",
        tags=("fonts", "serif", "typeface"),
        options=(("Licence", ("Desktop", "Desktop + Web")),),
        surcharge={"Desktop + Web": 4000},
        sales=35,
        images=2,
    ),
    _p(
        "Gridline Mono Font",
        "PF-GRD",
        "fonts",
        2500,
        """
A monospaced typeface for code and tables, with ligatures you can switch off.
""",
        tags=("fonts", "monospace", "coding"),
        images=1,
    ),
    _p(
        "Brushstroke Display Font",
        "PF-BRS",
        "fonts",
        1900,
        """
A loud, hand-painted display face for posters and packaging, with 300 alternates.
""",
        tags=("fonts", "display", "brush"),
        options=(("Licence", ("Desktop", "Desktop + Web")),),
        surcharge={"Desktop + Web": 2000},
        compare_extra=1000,
        images=2,
    ),
    _p(
        "Minimal Résumé Template",
        "PF-CV",
        "templates",
        1200,
        """
A clean two-page résumé with a matching cover letter. Edit it in Word or Figma.
""",
        tags=("templates", "resume", "career"),
        options=(("Format", ("DOCX", "Figma")),),
        sales=58,
        images=1,
    ),
    _p(
        "Social Media Starter Kit",
        "PF-SOC",
        "templates",
        2400,
        """
120 post and story templates in three colour themes, sized for every major network.
""",
        tags=("templates", "social media", "marketing"),
        images=2,
    ),
)

# shop slug -> (products, digital?, base hue 0..1 for its pictures)
DEMO_CATALOG: dict[str, tuple[tuple[dict[str, Any], ...], bool, float]] = {
    "green-thumb": (GARDEN, False, 0.33),
    "paper-lantern": (BOOKS, False, 0.08),
    "copper-kettle": (COFFEE, False, 0.05),
    "northwind-outfitters": (OUTFITTERS, False, 0.58),
    "pixel-forge": (PIXEL, True, 0.78),
}


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
        db.session.add(
            ProductImage(
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
