"""The catalog back office: products with options and variants, field errors, list, bulk, roles."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.catalog import services
from mall.catalog.models import Category, Product, ProductStatus, Variant
from mall.extensions import db
from mall.shops.models import Membership, Role
from mall.shops.permissions import PERMISSIONS
from tenants.context import tenant_context

CATALOG = "/shop/shop-a/admin/catalog"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def form_data(title="Linen Shirt", options=(("Size", "S, M"),), variants=(), **fields) -> dict:
    data = {
        "title": title,
        "slug": "",
        "description": "",
        "kind": "physical",
        "weight_grams": "",
        "tax_class": "standard",
        "category_id": "",
        "tags": "",
        "status": "draft",
        "action": "save",
    }
    for n, (name, values) in enumerate(options):
        data[f"options-{n}-name"] = name
        data[f"options-{n}-values"] = values
    for n, row in enumerate(variants):
        prefix = f"variants-{n}-"
        data[prefix + "choice"] = json.dumps(row.get("choice", {}))
        data[prefix + "sku"] = row["sku"]
        data[prefix + "price"] = row.get("price", "10.00")
        data[prefix + "compare_at_price"] = row.get("compare_at_price", "")
        data[prefix + "low_stock_threshold"] = row.get("low_stock_threshold", "0")
        if row.get("track_stock", True):
            data[prefix + "track_stock"] = "y"
        if row.get("allow_backorder"):
            data[prefix + "allow_backorder"] = "y"
    data.update(fields)
    return data


SHIRT_ROWS = (
    {"choice": {"Size": "S"}, "sku": "SHIRT-S", "price": "29.90"},
    {"choice": {"Size": "M"}, "sku": "SHIRT-M", "price": "31.00", "compare_at_price": "39"},
)


def products_of(shop) -> list[Product]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(db.session.scalars(sa.select(Product).order_by(Product.title)))


def make_product(shop, title="Mug", sku=None, *, price=1200, options=None, variants=None, **kw):
    with tenant_context(shop):
        product = services.create_product(
            services.ProductInput(
                title=title,
                options=options or [],
                variants=variants
                or [services.VariantInput(sku=sku or services.slugify(title).upper(), price=price)],
                **kw,
            )
        )
        db.session.commit()
        # Plain values: the test's session may expire the row outside the shop's context.
        return SimpleNamespace(id=product.id, title=product.title)


# ---------------------------------------------------------------- create and edit


def test_create_a_product_with_options_and_variants(client, shop_a, member_of_a, no_csrf):
    page = client.get(f"{CATALOG}/products/new")
    assert page.status_code == 200
    assert "Generate variants" in page.get_data(as_text=True)

    generated = client.post(f"{CATALOG}/products/new", data=form_data(action="generate"))
    assert generated.status_code == 200
    html = generated.get_data(as_text=True)
    assert "SKU (Size: S)" in html and "SKU (Size: M)" in html
    assert 'value="LINEN-SHIRT-S"' in html  # a suggestion, to be edited
    assert products_of(shop_a) == []  # generating saves nothing

    saved = client.post(
        f"{CATALOG}/products/new",
        data=form_data(variants=SHIRT_ROWS, status="published", tags="linen, summer"),
    )
    assert saved.status_code == 302
    [product] = products_of(shop_a)
    assert saved.location.endswith(f"/admin/catalog/products/{product.id}")
    assert product.slug == "linen-shirt"
    assert product.status is ProductStatus.PUBLISHED
    assert product.options == [{"name": "Size", "values": ["S", "M"]}]
    assert product.tags == ["linen", "summer"]
    with tenant_context(shop_a):
        assert [
            (v.sku, v.price, v.compare_at_price, v.option_values) for v in product.variants
        ] == [
            ("SHIRT-S", 2990, None, {"Size": "S"}),
            ("SHIRT-M", 3100, 3900, {"Size": "M"}),
        ]
    assert (product.price_min, product.price_max) == (2990, 3100)
    edit = client.get(f"{CATALOG}/products/{product.id}").get_data(as_text=True)
    assert 'value="29.90"' in edit and 'value="SHIRT-M"' in edit


def test_generating_keeps_existing_variants(client, shop_a, member_of_a, no_csrf):
    assert (
        client.post(f"{CATALOG}/products/new", data=form_data(variants=SHIRT_ROWS)).status_code
        == 302
    )
    [product] = products_of(shop_a)
    url = f"{CATALOG}/products/{product.id}"
    changed = form_data(options=(("Size", "S, M, L"),), variants=SHIRT_ROWS, action="generate")
    html = client.post(url, data=changed).get_data(as_text=True)
    assert 'value="SHIRT-S"' in html and 'value="31.00"' in html
    assert 'value="LINEN-SHIRT-L"' in html

    rows = (*SHIRT_ROWS, {"choice": {"Size": "L"}, "sku": "SHIRT-L", "price": "33"})
    assert (
        client.post(url, data=form_data(options=(("Size", "S, M, L"),), variants=rows)).status_code
        == 302
    )
    with tenant_context(shop_a):
        product = db.session.get(Product, (shop_a.id, product.id))
        db.session.refresh(product)
        first_ids = [v.id for v in product.variants]
        assert [v.sku for v in product.variants] == ["SHIRT-S", "SHIRT-M", "SHIRT-L"]

    # Dropping M removes that variant; S and L are the same rows as before.
    rows = (SHIRT_ROWS[0], rows[2])
    assert (
        client.post(url, data=form_data(options=(("Size", "S, L"),), variants=rows)).status_code
        == 302
    )
    with tenant_context(shop_a):
        db.session.expire_all()
        variants = db.session.scalars(sa.select(Variant).order_by(Variant.position)).all()
        assert [v.id for v in variants] == [first_ids[0], first_ids[2]]


def test_saving_changed_options_regenerates_first_and_saves_nothing(
    client, shop_a, member_of_a, no_csrf
):
    response = client.post(
        f"{CATALOG}/products/new",
        data=form_data(options=(("Size", "S, M"), ("Colour", "Red")), variants=SHIRT_ROWS),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The options changed" in html
    assert "SKU (Size: S, Colour: Red)" in html
    assert products_of(shop_a) == []


def test_a_product_without_options_has_exactly_one_variant(client, shop_a, member_of_a, no_csrf):
    page = client.post(f"{CATALOG}/products/new", data=form_data(options=(), action="generate"))
    assert page.get_data(as_text=True).count('name="variants-') == 7  # one row, seven inputs
    two = (
        {"choice": {}, "sku": "BAG-1", "price": "5"},
        {"choice": {}, "sku": "BAG-2", "price": "6"},
    )
    assert client.post(f"{CATALOG}/products/new", data=form_data("Bag", (), two)).status_code == 400
    one = ({"choice": {}, "sku": "BAG", "price": "5", "low_stock_threshold": "3"},)
    assert client.post(f"{CATALOG}/products/new", data=form_data("Bag", (), one)).status_code == 302
    [bag] = products_of(shop_a)
    with tenant_context(shop_a):
        [variant] = bag.variants
        assert (variant.sku, variant.option_key, variant.low_stock_threshold) == ("BAG", "", 3)


def test_field_errors_are_shown_next_to_their_fields_and_nothing_is_saved(
    client, shop_a, member_of_a, no_csrf
):
    make_product(shop_a, "Mug", "TAKEN")
    rows = (
        {"choice": {"Size": "S"}, "sku": "TAKEN", "price": "abc"},
        {"choice": {"Size": "M"}, "sku": "OK-M", "price": "20", "compare_at_price": "15"},
    )
    response = client.post(
        f"{CATALOG}/products/new",
        data=form_data("", variants=rows, slug="Bad Slug!", weight_grams="-3", tags="x" * 60),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "Enter a title.",
        "Use lower-case letters, digits and hyphens.",
        "Enter a weight of zero or more.",
        "tags of 50 characters",
        "Enter an amount such as 12.50.",
        "Must be above the price.",
        "SKU TAKEN is used by another product.",
    ):
        assert message in html, message
    assert html.count('aria-invalid="true"') >= 6
    assert 'value="abc"' in html and 'value="Bad Slug!"' in html  # what was typed is kept
    assert [p.title for p in products_of(shop_a)] == ["Mug"]


@pytest.fixture
def check_calls(monkeypatch) -> list[str]:
    """The titles ``services.check_product`` was called with, from now on."""
    calls: list[str] = []
    original = services.check_product

    def spy(data, **kw):
        calls.append(data.title)
        return original(data, **kw)

    monkeypatch.setattr(services, "check_product", spy)
    return calls


def test_check_product_runs_once_per_save(client, shop_a, member_of_a, no_csrf, check_calls):
    new = f"{CATALOG}/products/new"
    assert client.post(new, data=form_data(action="generate")).status_code == 200
    assert check_calls == []  # generating checks the options alone
    assert client.post(new, data=form_data(variants=SHIRT_ROWS)).status_code == 302
    assert check_calls == ["Linen Shirt"]

    [product] = products_of(shop_a)
    check_calls.clear()
    edited = form_data("Linen Shirt II", variants=SHIRT_ROWS)
    assert client.post(f"{CATALOG}/products/{product.id}", data=edited).status_code == 302
    assert check_calls == ["Linen Shirt II"]

    # Refused by the check as the service saves: once, and shown next to the field.
    check_calls.clear()
    rows = ({"choice": {}, "sku": "OTHER", "price": "5"},)
    taken = form_data("Other", (), rows, slug="linen-shirt-ii")
    response = client.post(new, data=taken)
    assert response.status_code == 400
    assert "Another product of this shop uses “linen-shirt-ii”." in response.get_data(as_text=True)
    assert check_calls == ["Other"]

    # A typing error: nothing is saved, the check runs once to show every problem.
    check_calls.clear()
    rows = ({"choice": {}, "sku": "OTHER", "price": "abc"},)
    response = client.post(new, data=form_data("Other", (), rows, slug="linen-shirt-ii"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter an amount such as 12.50." in html and "uses “linen-shirt-ii”" in html
    assert check_calls == ["Other"]
    assert [p.title for p in products_of(shop_a)] == ["Linen Shirt II"]


def test_option_errors_are_shown_with_the_options(client, shop_a, member_of_a, no_csrf):
    response = client.post(
        f"{CATALOG}/products/new",
        data=form_data(options=(("Size", "S"), ("Size", "M")), action="generate"),
    )
    assert response.status_code == 400
    assert "Each option needs a distinct name." in response.get_data(as_text=True)
    response = client.post(
        f"{CATALOG}/products/new",
        data=form_data(
            options=(("A", ",".join(map(str, range(11)))), ("B", ",".join("abcdefghij")))
        ),
    )
    assert response.status_code == 400
    assert "make 110 combinations" in response.get_data(as_text=True)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_description_preview_is_sanitised(client, shop_a, member_of_a, no_csrf):
    description = (
        "# Hello\n\n**Soft** linen.\n\n<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)">\n\n[click](javascript:alert(3)) and '
        '<a href="javascript:alert(4)">raw</a> [ok](https://example.com)'
    )
    rows = ({"choice": {}, "sku": "TEE", "price": "5"},)
    data = form_data("Tee", (), rows, description=description)
    assert client.post(f"{CATALOG}/products/new", data=data).status_code == 302
    [product] = products_of(shop_a)
    html = client.get(f"{CATALOG}/products/{product.id}").get_data(as_text=True)
    preview = html.split('id="description-preview">', 1)[1].split("</section>", 1)[0]
    assert "<strong>Soft</strong>" in preview and "<h2>Hello</h2>" in preview
    parser = Tags()
    parser.feed(preview)
    assert not [t for t, _ in parser.tags if t in ("script", "img", "iframe")]
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    hrefs = [attrs.get("href", "") for t, attrs in parser.tags if t == "a"]
    assert hrefs == ["https://example.com"]
    assert "<script>alert" not in html  # the typed text is escaped in the text area too


def test_delete_a_product_after_confirming(client, shop_a, member_of_a, no_csrf):
    product = make_product(shop_a)
    confirm = client.get(f"{CATALOG}/products/{product.id}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.get_data(as_text=True)
    assert products_of(shop_a)  # asking deletes nothing
    response = client.post(f"{CATALOG}/products/{product.id}/delete")
    assert response.status_code == 302
    assert products_of(shop_a) == []
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count(Variant.id))) == 0
    assert client.get(f"{CATALOG}/products/{product.id}").status_code == 404


def test_categories_are_offered_in_tree_order(client, shop_a, member_of_a):
    home = Category(name="Home", slug="home", position=2)
    fashion = Category(name="Fashion", slug="fashion", position=1)
    db.session.add_all([home, fashion])
    db.session.flush()
    db.session.add_all(
        [
            Category(name="Shoes", slug="shoes", parent_id=fashion.id, position=2),
            Category(name="Shirts", slug="shirts", parent_id=fashion.id, position=1),
            Category(name="Kitchen", slug="kitchen", parent_id=home.id, position=1),
        ]
    )
    db.session.commit()
    html = client.get(f"{CATALOG}/products/new").get_data(as_text=True)
    select = html.split('id="category_id"', 1)[1].split("</select>", 1)[0]
    names = ["Fashion", "— Shirts", "— Shoes", "Home", "— Kitchen"]
    positions = [select.index(f">{name}<") for name in names]
    assert positions == sorted(positions)


# ---------------------------------------------------------------- the list


def test_the_list_filters_and_sorts(client, shop_a, member_of_a):
    kitchen = Category(name="Kitchen", slug="kitchen")
    db.session.add(kitchen)
    db.session.commit()
    make_product(shop_a, "Blue Mug", "MUG-BLUE", category_id=kitchen.id)
    make_product(shop_a, "Apron", "APRON-1", status=ProductStatus.PUBLISHED)
    make_product(shop_a, "Kettle", "KET-9", status=ProductStatus.PUBLISHED)

    def titles(query: str) -> list[str]:
        html = client.get(f"{CATALOG}/?{query}").get_data(as_text=True)
        return [t for t in ("Apron", "Blue Mug", "Kettle") if f">{t}</a>" in html]

    assert titles("") == ["Apron", "Blue Mug", "Kettle"]
    assert titles("status=published") == ["Apron", "Kettle"]
    assert titles("status=draft") == ["Blue Mug"]
    assert titles("q=ket-9") == ["Kettle"]  # by SKU
    assert titles("q=mug") == ["Blue Mug"]  # by title
    assert titles(f"category={kitchen.id}") == ["Blue Mug"]
    assert titles("status=nonsense&stock=whatever") == ["Apron", "Blue Mug", "Kettle"]
    html = client.get(f"{CATALOG}/?sort=title").get_data(as_text=True)
    assert html.index(">Apron<") < html.index(">Blue Mug<") < html.index(">Kettle<")


def test_the_list_query_count_does_not_grow_with_rows(client, shop_a, member_of_a, count_queries):
    make_product(shop_a, "Product 0", "P-0")

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"{CATALOG}/").status_code == 200
        return counter.count

    few = queries()
    for n in range(1, 12):
        make_product(
            shop_a,
            f"Product {n}",
            options=[{"name": "Size", "values": ["S", "M"]}],
            variants=[
                services.VariantInput(sku=f"P-{n}-S", price=100, option_values={"Size": "S"}),
                services.VariantInput(sku=f"P-{n}-M", price=200, option_values={"Size": "M"}),
            ],
        )
    assert queries() == few


# ---------------------------------------------------------------- bulk actions


def test_bulk_actions_change_only_this_shops_ticked_products(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    kitchen = Category(name="Kitchen", slug="kitchen")
    db.session.add(kitchen)
    db.session.commit()
    mug, jug = make_product(shop_a, "Mug"), make_product(shop_a, "Jug")
    make_product(shop_a, "Left alone")
    theirs = make_product(shop_b, "Their Mug")
    ids = [str(mug.id), str(jug.id), str(theirs.id), "not-a-uuid"]

    response = client.post(f"{CATALOG}/", data={"action": "publish", "product_ids": ids})
    assert response.status_code == 302
    assert {p.title: p.status for p in products_of(shop_a)} == {
        "Jug": ProductStatus.PUBLISHED,
        "Left alone": ProductStatus.DRAFT,
        "Mug": ProductStatus.PUBLISHED,
    }
    client.post(
        f"{CATALOG}/",
        data={"action": "category", "category_id": str(kitchen.id), "product_ids": ids},
    )
    assert {p.title: p.category_id for p in products_of(shop_a)}["Mug"] == kitchen.id
    client.post(f"{CATALOG}/", data={"action": "unpublish", "product_ids": [str(jug.id)]})
    assert {p.title: p.status for p in products_of(shop_a)}["Jug"] is ProductStatus.DRAFT
    [their_product] = products_of(shop_b)
    assert (their_product.status, their_product.category_id) == (ProductStatus.DRAFT, None)


def test_bulk_action_keeps_the_filters(client, shop_a, member_of_a, no_csrf):
    mug = make_product(shop_a, "Mug")
    response = client.post(
        f"{CATALOG}/",
        data={
            "action": "publish",
            "product_ids": [str(mug.id)],
            "filter-q": "mug",
            "filter-sort": "title",
        },
    )
    assert response.location.endswith("/admin/catalog/?q=mug&sort=title")


# ---------------------------------------------------------------- who may


def test_staff_of_a_cannot_reach_shop_bs_products_by_id(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    theirs = make_product(shop_b, "Their Mug")
    base = f"{CATALOG}/products/{theirs.id}"
    for path in (base, f"{base}/stock", f"{base}/images", f"{base}/files", f"{base}/delete"):
        assert client.get(path).status_code == 404, path
    assert client.post(base, data=form_data("Mine now")).status_code == 404
    assert client.post(f"{base}/delete").status_code == 404
    assert [p.title for p in products_of(shop_b)] == ["Their Mug"]
    # Shop B's own back office is closed to shop A's owner.
    assert client.get(f"/shop/shop-b/admin/catalog/products/{theirs.id}").status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_catalog_pages_follow_the_role_table(client, shop_a, make_user, sign_in, role, no_csrf):
    product = make_product(shop_a)
    user = make_user()
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=role))
    db.session.commit()
    sign_in(user)
    expected = 200 if "catalog.manage" in PERMISSIONS[role] else 403
    for path in ("/", "/products/new", f"/products/{product.id}", f"/products/{product.id}/stock"):
        assert client.get(CATALOG + path).status_code == expected, (role, path)
    if expected == 403:
        assert client.post(f"{CATALOG}/", data={"action": "publish"}).status_code == 403
