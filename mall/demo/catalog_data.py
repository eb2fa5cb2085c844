"""The demo catalog's content: the category tree and each demo shop's products.

Pure data (and one helper that shapes a product spec), used by ``mall.demo.catalog``.
"""

from __future__ import annotations

from typing import Any

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
