"""Option edits never lose stock: variants are kept, renamed, added at 0, or removed on request.

Issue 8, item 1: adding an option to a stocked product replaced every variant
(new SKUs, no stock, no history). Now a product that gains an option keeps each
variant as the one with the new option's first value; a renamed value keeps its
variants; a variant that would go while it holds stock or files is listed and
removed only once the person ticks "Remove these variants and their stock", its
stock leaving through a "variant removed" movement that the history keeps.
"""

from __future__ import annotations

from html.parser import HTMLParser
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.catalog import csv_io, media, services
from mall.catalog.models import (
    DigitalFile,
    Product,
    ProductKind,
    StockMovement,
    StockReason,
    Variant,
)
from mall.catalog.services import InvalidProduct, ProductInput, VariantInput
from mall.catalog.stock import adjust_stock, movements_total, product_movements_total
from mall.extensions import db
from mall.storage import storage
from tenants.context import tenant_context
from tests.mall.test_catalog_csv import csv_bytes

CATALOG = "/shop/shop-a/admin/catalog"
SIZES = ["S", "M", "L", "XL"]
ON_HAND = {"S": 30, "M": 45, "L": 40, "XL": 24}  # 139 in all


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


class EditorForm(HTMLParser):
    """The fields the product editor's form would send, as a browser fills them in."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and not self._in_form:
            self._in_form = "action" not in a  # the editor posts to itself
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((name, a.get("value") or ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data) -> None:
        if self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def data(self, **changes: str | bool | list[str]) -> dict[str, list[str]]:
        """The fields with ``changes`` (True ticks a checkbox, False unticks it)."""
        sent: dict[str, list[str]] = {}
        for name, value in self.fields:
            sent.setdefault(name, []).append(value)
        for name, value in changes.items():
            name = name.replace("_", "-") if name.startswith(("options_", "variants_")) else name
            if value is False:
                sent.pop(name, None)
            else:
                sent[name] = (
                    ["y"] if value is True else value if isinstance(value, list) else [value]
                )
        return sent


def merino(shop) -> UUID:
    """The id of Merino Crew Base Layer in sizes S to XL, thresholds 3, 139 on hand."""
    with tenant_context(shop):
        product = services.create_product(
            ProductInput(
                title="Merino Crew Base Layer",
                options=[{"name": "Size", "values": SIZES}],
                variants=[
                    VariantInput(
                        sku=f"NW-MER-{s}",
                        price=6900,
                        option_values={"Size": s},
                        low_stock_threshold=3,
                    )
                    for s in SIZES
                ],
            )
        )
        for variant in product.variants:
            adjust_stock(
                variant, ON_HAND[variant.option_values["Size"]], reason=StockReason.RECEIPT
            )
        product_id = product.id
        db.session.commit()
        return product_id


def saved(shop, product_id) -> dict[str, tuple]:
    """sku -> (id, choice, price, threshold, on hand, sum of its movements), read afresh."""
    with tenant_context(shop):
        db.session.expire_all()
        variants = db.session.scalars(
            sa.select(Variant).where(Variant.product_id == product_id).order_by(Variant.position)
        ).all()
        return {
            v.sku: (
                v.id,
                v.option_values,
                v.price,
                v.low_stock_threshold,
                v.stock_quantity,
                movements_total(v),
            )
            for v in variants
        }


def movements(shop, product_id) -> list[tuple]:
    with tenant_context(shop):
        return db.session.execute(
            sa.select(
                StockMovement.variant_id,
                StockMovement.delta,
                StockMovement.reason,
                StockMovement.removed_sku,
                StockMovement.removed_label,
            )
            .where(StockMovement.product_id == product_id)
            .order_by(StockMovement.created_at, StockMovement.id)
        ).all()


def edit(client, product_id, **changes) -> tuple[int, str]:
    """Open the editor, change fields as a person would, press the button named by ``action``."""
    url = f"{CATALOG}/products/{product_id}"
    form = EditorForm(client.get(url).get_data(as_text=True))
    response = client.post(url, data=form.data(**{"action": "save", **changes}))
    return response.status_code, response.get_data(as_text=True)


def resubmit(client, product_id, html: str, **changes) -> tuple[int, str]:
    """Submit the page the editor answered with (what it shows), with ``changes``."""
    url = f"{CATALOG}/products/{product_id}"
    response = client.post(url, data=EditorForm(html).data(**{"action": "save", **changes}))
    return response.status_code, response.get_data(as_text=True)


# ---------------------------------------------------------------- through the editor


def test_adding_an_option_keeps_every_variant_its_sku_price_and_stock(
    client, shop_a, member_of_a, no_csrf
):
    product_id = merino(shop_a)
    before = saved(shop_a, product_id)
    history = movements(shop_a, product_id)

    status, html = edit(
        client, product_id, options_1_name="Colour", options_1_values="Charcoal, Navy"
    )
    assert status == 400 and "The options changed" in html  # rows made again: check, then save
    assert 'value="NW-MER-S"' in html and "30 on hand" in html
    assert "Variants to remove" not in html
    status, html = resubmit(client, product_id, html)
    assert status == 302

    after = saved(shop_a, product_id)
    for size in SIZES:
        sku = f"NW-MER-{size}"
        variant_id, _, price, threshold, on_hand, total = before[sku]
        assert after[sku] == (
            variant_id,
            {"Size": size, "Colour": "Charcoal"},
            price,
            threshold,
            on_hand,
            total,
        )
    navy = [row for sku, row in after.items() if sku not in before]
    assert sorted(row[1]["Size"] for row in navy) == sorted(SIZES)
    assert all(row[1]["Colour"] == "Navy" and row[4] == 0 for row in navy)
    assert sum(row[4] for row in after.values()) == 139
    assert movements(shop_a, product_id) == history  # nothing moved, nothing lost
    with tenant_context(shop_a):
        assert db.session.get(Product, (shop_a.id, product_id)).in_stock


def test_removing_a_stocked_value_lists_it_and_asks_once(client, shop_a, member_of_a, no_csrf):
    product_id = merino(shop_a)
    before = saved(shop_a, product_id)

    status, html = edit(client, product_id, options_0_values="S, M, L", title="Merino Crew II")
    assert status == 400
    assert "Variants to remove" in html and "NW-MER-XL" in html
    assert "Remove these variants and their stock" in html
    # Saving without ticking the box changes nothing, keeps what was typed and asks.
    status, html = resubmit(client, product_id, html)
    assert status == 400
    assert "Tick this to save, or put their option values back." in html
    assert 'value="Merino Crew II"' in html and 'value="S, M, L"' in html
    assert saved(shop_a, product_id) == before

    # Ticked, but with a typing error elsewhere: the box stays ticked, and only the typo is said.
    status, html = resubmit(client, product_id, html, remove_variants=True, variants_0_price="abc")
    assert status == 400 and "Enter an amount such as 12.50." in html
    assert "Tick this to save" not in html
    assert 'name="remove_variants" value="y" checked' in html
    status, html = resubmit(client, product_id, html, variants_0_price="69.00")
    assert status == 302
    after = saved(shop_a, product_id)
    assert set(after) == {"NW-MER-S", "NW-MER-M", "NW-MER-L"}
    assert all(after[sku] == before[sku] for sku in after)
    removal = movements(shop_a, product_id)[-1]
    assert removal == (None, -24, StockReason.VARIANT_REMOVED, "NW-MER-XL", "Size: XL")
    with tenant_context(shop_a):
        assert product_movements_total(product_id) == sum(v[4] for v in after.values()) == 115
    # Its history stays on the stock page, under its SKU.
    page = client.get(f"{CATALOG}/products/{product_id}/stock").get_data(as_text=True)
    assert "Variant removed" in page and "NW-MER-XL" in page and "-24" in page
    assert "stock is in its stock history." in page  # the flash, on the next page shown


def test_a_renamed_value_keeps_its_variant(client, shop_a, member_of_a, no_csrf):
    product_id = merino(shop_a)
    before = saved(shop_a, product_id)
    status, html = edit(client, product_id, options_0_values="Small, M, L, XL", action="generate")
    assert status == 200 and "Variants to remove" not in html
    assert 'value="NW-MER-S"' in html and "SKU (Size: Small)" in html
    assert resubmit(client, product_id, html)[0] == 302
    after = saved(shop_a, product_id)
    assert after["NW-MER-S"][0] == before["NW-MER-S"][0]
    assert after["NW-MER-S"][1] == {"Size": "Small"} and after["NW-MER-S"][4] == 30
    # A renamed option keeps them too.
    status, html = edit(client, product_id, options_0_name="Fit", action="generate")
    assert resubmit(client, product_id, html)[0] == 302
    assert saved(shop_a, product_id)["NW-MER-M"][1:] == ({"Fit": "M"}, 6900, 3, 45, 45)


def test_a_variant_without_stock_or_files_goes_without_asking(client, shop_a, member_of_a, no_csrf):
    product_id = merino(shop_a)
    with tenant_context(shop_a):
        xl = next(
            v
            for v in db.session.get(Product, (shop_a.id, product_id)).variants
            if v.sku == "NW-MER-XL"
        )
        adjust_stock(xl, -24, reason=StockReason.ADJUSTMENT)
        db.session.commit()
    status, html = edit(client, product_id, options_0_values="S, M, L", action="generate")
    assert status == 200
    assert "Variants to remove" in html and "NW-MER-XL" in html  # listed all the same
    assert "Remove these variants and their stock" not in html
    assert resubmit(client, product_id, html)[0] == 302
    assert "NW-MER-XL" not in saved(shop_a, product_id)
    # Its two movements stay in the product's history, under its SKU.
    assert [m[3] for m in movements(shop_a, product_id) if m[0] is None] == ["NW-MER-XL"] * 2


# ---------------------------------------------------------------- the services


def shirt_input(options: list[dict], rows: list[tuple[str, dict]], **kw) -> ProductInput:
    return ProductInput(
        title=kw.pop("title", "Rain Shell"),
        options=options,
        **kw,
        variants=[VariantInput(sku=sku, price=1000, option_values=c) for sku, c in rows],
    )


def test_removing_an_option_keeps_the_first_values_variants(shop_a):
    sizes = {"name": "Size", "values": ["S", "M"]}
    colours = {"name": "Colour", "values": ["Red", "Blue"]}
    rows = [(f"RS-{s}-{c}", {"Size": s, "Colour": c}) for s in ("S", "M") for c in ("Red", "Blue")]
    with tenant_context(shop_a):
        product = services.create_product(shirt_input([sizes, colours], rows))
        by_sku = {v.sku: v for v in product.variants}
        adjust_stock(by_sku["RS-S-Red"], 4, reason=StockReason.RECEIPT)
        adjust_stock(by_sku["RS-M-Blue"], 6, reason=StockReason.RECEIPT)
        data = shirt_input([sizes], [("RS-S", {"Size": "S"}), ("RS-M", {"Size": "M"})])
        with pytest.raises(InvalidProduct) as refused:
            services.update_product(product, data)
        [problem] = refused.value.errors
        assert problem.field == "removed_variants" and "RS-M-Blue" in problem.message
        assert {v.sku for v in product.variants} == set(by_sku)  # nothing changed

        services.update_product(product, data, remove={by_sku["RS-M-Blue"].id})
        kept = {v.sku: (v.id, v.option_values, v.stock_quantity) for v in product.variants}
        assert kept == {
            "RS-S": (by_sku["RS-S-Red"].id, {"Size": "S"}, 4),
            "RS-M": (by_sku["RS-M-Red"].id, {"Size": "M"}, 0),
        }
        assert product_movements_total(product.id) == 4


def test_a_variant_with_files_needs_confirming_and_its_files_go(shop_a, app):
    with tenant_context(shop_a):
        product = services.create_product(
            shirt_input(
                [{"name": "Format", "values": ["PDF", "EPUB"]}],
                [("BK-PDF", {"Format": "PDF"}), ("BK-EPUB", {"Format": "EPUB"})],
                kind=ProductKind.DIGITAL,
            )
        )
        epub = product.variants[1]
        file = media.add_file(
            epub, b"%EPUB", filename="book.epub", content_type="application/epub+zip"
        )
        key = file.storage_key
        db.session.commit()
        data = shirt_input(
            [{"name": "Format", "values": ["PDF"]}],
            [("BK-PDF", {"Format": "PDF"})],
            kind=ProductKind.DIGITAL,
        )
        [removal] = services.planned_removals(product, data.variants, data.options)
        assert (removal.variant.sku, removal.files, removal.holds_something) == ("BK-EPUB", 1, True)
        with pytest.raises(InvalidProduct):
            services.update_product(product, data)
        services.update_product(product, data, remove={epub.id})
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(DigitalFile.id))) == 0
    with pytest.raises(FileNotFoundError):  # deleted by a job once the removal is committed
        storage().open(key)


def test_rows_are_matched_by_id_then_choice_then_sku_then_carried_over(shop_a):
    sizes = {"name": "Size", "values": ["S", "M"]}
    with tenant_context(shop_a):
        product = services.create_product(
            shirt_input([sizes], [("A", {"Size": "S"}), ("B", {"Size": "M"})])
        )
        a, b = product.variants
        # By id: the row names variant A while it takes M's choice and a new SKU.
        data = shirt_input([sizes], [("A2", {"Size": "M"}), ("B", {"Size": "S"})])
        data.variants[0].variant_id = a.id
        services.update_product(product, data)
        assert {v.id: (v.sku, v.option_key) for v in product.variants} == {
            a.id: ("A2", "Size=M"),
            b.id: ("B", "Size=S"),
        }
        # By SKU: a value renamed in a file keeps the variant of that SKU.
        data = shirt_input(
            [{"name": "Size", "values": ["Small", "M"]}],
            [("A2", {"Size": "M"}), ("B", {"Size": "Small"})],
        )
        services.update_product(product, data)
        assert {v.id: v.option_key for v in product.variants} == {
            a.id: "Size=M",
            b.id: "Size=Small",
        }


# ---------------------------------------------------------------- the CSV import


def imported(data: bytes) -> list[csv_io.RowError]:
    """Validate ``data`` and, when it has no problem, apply it; returns the problems."""
    parsed = csv_io.parse_csv(data)
    errors = csv_io.validate(parsed)
    if not errors:
        csv_io.apply(parsed)
    return errors


def test_an_import_never_drops_stock_or_files(shop_a):
    rows = [
        {"handle": "merino", "title": "Merino", "option1_name": "Size", "option1_value": s,
         "sku": f"MER-{s}", "price": "69", "stock": str(n)}
        for s, n in (("S", 5), ("M", 0))
    ]  # fmt: skip
    with tenant_context(shop_a):
        assert imported(csv_bytes(*rows)) == []
        # A file that leaves out S (5 in stock): a row error, nothing imported.
        errors = imported(csv_bytes(rows[1]))
        assert [(e.row, e.column) for e in errors] == [(2, "handle")]
        assert "MER-S (Size: S)" in errors[0].message and "5 in stock" in errors[0].message
        # Leaving out M (nothing on hand) removes it, as before.
        assert imported(csv_bytes(rows[0])) == []
        # A file that adds an option (with new SKUs) keeps S and its stock.
        colour = {"option2_name": "Colour", "option2_value": "Grey"}
        grown = [{**rows[0], **colour, "sku": "MER-S-GREY", "stock": ""}]
        grown.append({**grown[0], "option2_value": "Blue", "sku": "MER-S-BLUE"})
        before = db.session.scalar(sa.select(Variant.id).where(Variant.sku == "MER-S"))
        assert imported(csv_bytes(*grown)) == []
        kept = db.session.scalar(sa.select(Variant).where(Variant.sku == "MER-S-GREY"))
        assert (kept.id, kept.stock_quantity) == (before, 5)


# ---------------------------------------------------------------- property: no movement is lost

NAMES = ["Size", "Colour", "Fit"]
VALUES = ["A", "B", "C", "D"]
EDITS = st.one_of(
    st.tuples(
        st.just("add_option"),
        st.sampled_from(NAMES),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=3, unique=True),
    ),
    st.tuples(st.just("add_value"), st.integers(0, 2), st.sampled_from(VALUES)),
    st.tuples(st.just("remove_value"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("remove_option"), st.integers(0, 2), st.just(None)),
    st.tuples(st.just("reorder"), st.integers(0, 2), st.just(None)),
    st.tuples(st.just("receive"), st.integers(0, 30), st.integers(1, 40)),
    st.tuples(st.just("adjust"), st.integers(0, 30), st.integers(-40, -1)),
)


def edited(options: list[dict], step: tuple) -> list[dict] | None:
    """The options after an edit (None when the edit does not apply)."""
    kind, n, arg = step
    options = [{"name": o["name"], "values": list(o["values"])} for o in options]
    if kind == "add_option":
        if len(options) == 3 or arg is None or n in [o["name"] for o in options]:
            return None
        return [*options, {"name": n, "values": arg}]
    if not options:
        return None
    n %= len(options)
    values = options[n]["values"]
    if kind == "add_value" and arg not in values:
        values.append(arg)
    elif kind == "remove_value" and len(values) > 1:
        values.pop(arg % len(values))
    elif kind == "remove_option":
        options.pop(n)
    elif kind == "reorder":
        values.reverse()
    else:
        return None
    return options


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(opening=st.tuples(st.integers(0, 9), st.integers(0, 9)), steps=st.lists(EDITS, max_size=10))
def test_option_edits_never_lose_a_movement(shop_a, opening, steps):
    prefix = uuid4().hex[:6].upper()
    options = [{"name": "Size", "values": ["A", "B"]}]

    def rows(options: list[dict]) -> list[VariantInput]:
        combos = [{}]
        for option in options:
            combos = [{**c, option["name"]: v} for c in combos for v in option["values"]]
        return [
            VariantInput(sku="-".join([prefix, *c.values()]), price=500, option_values=c)
            for c in combos
        ]

    with tenant_context(shop_a):
        product = services.create_product(
            ProductInput(title=f"P {prefix}", options=options, variants=rows(options))
        )
        for variant, quantity in zip(product.variants, opening, strict=True):
            if quantity:
                adjust_stock(variant, quantity, reason=StockReason.RECEIPT)
        count = 0
        for step in steps:
            kind, n, arg = step
            if kind in ("receive", "adjust"):
                variant = product.variants[n % len(product.variants)]
                if variant.stock_quantity + arg < 0:
                    continue
                reason = StockReason.RECEIPT if kind == "receive" else StockReason.ADJUSTMENT
                adjust_stock(variant, arg, reason=reason)
            else:
                new = edited(options, step)
                if new is None:
                    continue
                data = ProductInput(title=f"P {prefix}", options=new, variants=rows(new))
                going = services.planned_removals(product, data.variants, data.options)
                held = {r.variant.id for r in going if r.holds_something}
                stock_before = sum(v.stock_quantity for v in product.variants)
                if held:
                    with pytest.raises(InvalidProduct):  # asked first: nothing changes
                        services.update_product(product, data)
                    assert sum(v.stock_quantity for v in product.variants) == stock_before
                services.update_product(product, data, remove=held)
                options = new
                if not going:  # nothing removed: every unit is still on hand
                    assert sum(v.stock_quantity for v in product.variants) == stock_before
            # After each step: quantities are the sum of their movements, and the
            # product's movements (removed variants included) sum to what is on hand.
            for variant in product.variants:
                assert variant.stock_quantity == movements_total(variant)
            on_hand = sum(v.stock_quantity for v in product.variants)
            assert product_movements_total(product.id) == on_hand
            now = db.session.scalar(
                sa.select(sa.func.count(StockMovement.id)).where(
                    StockMovement.product_id == product.id
                )
            )
            assert now >= count  # no movement is ever lost
            count = now
