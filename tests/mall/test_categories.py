"""The operators' category tree: services (order, descendants, cycles, deletion) and pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog import categories
from mall.catalog.categories import CategoryError
from mall.catalog.models import Category
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import AuditEvent

IP = "203.0.113.9"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def as_operator(client, operator, sign_in, no_csrf):
    sign_in(operator)
    return client


def make(name, slug=None, parent=None, actor=None) -> Category:
    category, created = categories.create_category(
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        parent_id=parent.id if parent else None,
        actor_id=actor.id if actor else None,
    )
    assert created
    return category


def audit(action=None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.target_type == "category")
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.created_at)))


def shape(tree) -> list:
    return [(node.slug, shape(node.children)) for node in tree]


def reload(category) -> Category | None:
    category_id = sa.inspect(category).identity[0]
    db.session.expire_all()
    return db.session.get(Category, category_id)


@pytest.fixture
def garden(app_ctx):
    home = make("Home")
    seeds = make("Seeds", parent=home)
    tools = make("Tools", parent=home)
    hand = make("Hand tools", parent=tools)
    books = make("Books")
    db.session.commit()
    return {"home": home, "seeds": seeds, "tools": tools, "hand": hand, "books": books}


def product_in(shop, category) -> None:
    with tenant_context(shop):
        create_product(
            ProductInput(
                title="Trowel",
                category_id=category.id,
                variants=[VariantInput(sku=f"TRW-{category.slug}", price=1200)],
            )
        )
    db.session.commit()


# ---------------------------------------------------------------- services


def test_tree_is_nested_and_ordered_by_position(garden, count_queries):
    with count_queries() as q:
        tree = categories.category_tree()
    assert q.count == 1
    assert shape(tree) == [
        ("home", [("seeds", []), ("tools", [("hand-tools", [])])]),
        ("books", []),
    ]
    assert [n.depth for n in categories.flatten(tree)] == [0, 1, 1, 2, 0]


def test_descendants_lists_every_level_below(garden, count_queries):
    home_id = garden["home"].id
    with count_queries() as q:
        below = categories.descendants(home_id)
    assert q.count == 1
    assert set(below) == {garden["seeds"].id, garden["tools"].id, garden["hand"].id}
    assert categories.descendants(garden["hand"].id) == []


def test_slug_is_validated_and_unique(garden):
    for bad in ("Seeds", "two words", "-edge", "edge-", "a--b", "", "x" * 101):
        with pytest.raises(CategoryError):
            categories.create_category(name="Bad", slug=bad, actor_id=None)
    with pytest.raises(CategoryError, match="already used"):
        categories.create_category(name="Other seeds", slug="seeds", actor_id=None)
    with pytest.raises(CategoryError, match="name"):
        categories.create_category(name="   ", slug="blank", actor_id=None)


def test_create_is_idempotent(garden):
    again, created = categories.create_category(
        name="Seeds", slug="seeds", parent_id=garden["home"].id, actor_id=None
    )
    assert not created and again.id == garden["seeds"].id
    assert len(audit("category.created")) == 5


def test_cycles_are_refused(garden):
    for parent in ("home", "tools", "hand"):
        with pytest.raises(CategoryError, match="cannot"):
            categories.update_category(
                garden["home"],
                name="Home",
                slug="home",
                parent_id=garden[parent].id,
                actor_id=None,
            )
    db.session.rollback()
    assert reload(garden["home"]).parent_id is None


def test_update_moves_to_the_end_of_new_siblings_and_audits(garden, operator):
    changed = categories.update_category(
        garden["seeds"],
        name="Seeds & bulbs",
        slug="seeds-bulbs",
        parent_id=garden["books"].id,
        actor_id=operator.id,
        ip_address=IP,
    )
    assert changed
    assert shape(categories.category_tree()) == [
        ("home", [("tools", [("hand-tools", [])])]),
        ("books", [("seeds-bulbs", [])]),
    ]
    assert reload(garden["tools"]).position == 0  # the old siblings close the gap
    (event,) = audit("category.updated")
    assert event.actor_id == operator.id
    assert event.details["slug"] == {"from": "seeds", "to": "seeds-bulbs"}
    assert event.details["parent"] == {"from": "home", "to": "books"}
    assert event.ip_address == IP
    again = categories.update_category(
        garden["seeds"],
        name="Seeds & bulbs",
        slug="seeds-bulbs",
        parent_id=garden["books"].id,
        actor_id=operator.id,
    )
    assert not again and len(audit("category.updated")) == 1


def test_move_swaps_with_a_sibling_and_stops_at_the_ends(garden):
    assert categories.move_category(garden["tools"], "up", actor_id=None)
    assert shape(categories.category_tree())[0][1][0][0] == "tools"
    assert not categories.move_category(garden["tools"], "up", actor_id=None)
    assert not categories.move_category(garden["books"], "down", actor_id=None)
    assert categories.move_category(garden["books"], "up", actor_id=None)
    assert [n.slug for n in categories.category_tree()] == ["books", "home"]
    assert [e.details["direction"] for e in audit("category.moved")] == ["up", "up"]
    with pytest.raises(CategoryError):
        categories.move_category(garden["books"], "sideways", actor_id=None)


def test_delete_is_refused_with_children_or_products(garden, shop_a):
    with pytest.raises(CategoryError, match="sub-categor"):
        categories.delete_category(garden["tools"].id, actor_id=None)
    product_in(shop_a, garden["hand"])
    with pytest.raises(CategoryError, match="1 product"):
        categories.delete_category(garden["hand"].id, actor_id=None)
    assert categories.product_counts() == {garden["hand"].id: 1}
    assert categories.delete_category(garden["seeds"].id, actor_id=None)
    assert not categories.delete_category(garden["seeds"].id, actor_id=None)  # idempotent
    assert reload(garden["tools"]).position == 0
    (event,) = audit("category.deleted")
    assert event.details == {"name": "Seeds", "slug": "seeds"}


# ---------------------------------------------------------------- pages


def category_paths(app, category) -> list[tuple[str, str]]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("category_admin."):
            values = {"category_id": category.id} if "category_id" in rule.arguments else {}
            path = rule.build(values)[1]
            paths += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return paths


def test_only_operators_reach_the_pages(app, client, garden, make_user, sign_in, no_csrf):
    paths = category_paths(app, garden["seeds"])
    assert len(paths) == 8
    for method, path in paths:
        response = client.open(path, method=method)
        assert response.status_code == 302 and "/account/login" in response.location, path
    sign_in(make_user("shopper@example.com"))
    for method, path in paths:
        assert client.open(path, method=method).status_code == 403, (method, path)
    assert reload(garden["seeds"]) is not None and not audit("category.deleted")


def test_index_shows_the_nested_tree_with_counts(as_operator, garden, shop_a):
    product_in(shop_a, garden["seeds"])
    page = as_operator.get("/admin/categories/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Home") < html.index("Seeds") < html.index("Hand tools") < html.index("Books")
    assert "1 product<" in html
    assert 'aria-label="Move Home up" disabled' in html


def test_create_edit_move_delete_through_the_pages(as_operator, garden, operator):
    response = as_operator.post(
        "/admin/categories/new",
        data={"name": "Bulbs", "slug": "bulbs", "parent": str(garden["home"].id)},
        environ_base={"REMOTE_ADDR": IP},
    )
    assert response.status_code == 303
    bulbs = db.session.scalar(sa.select(Category).where(Category.slug == "bulbs"))
    assert bulbs.parent_id == garden["home"].id and bulbs.position == 2
    (created,) = [e for e in audit("category.created") if e.target_id == str(bulbs.id)]
    assert created.actor_id == operator.id and created.ip_address == IP

    response = as_operator.post(
        f"/admin/categories/{bulbs.id}/edit",
        data={"name": "Bulbs and corms", "slug": "bulbs", "parent": str(garden["home"].id)},
    )
    assert response.status_code == 303
    assert reload(bulbs).name == "Bulbs and corms"

    assert (
        as_operator.post(f"/admin/categories/{bulbs.id}/move", data={"direction": "up"}).status_code
        == 303
    )
    assert reload(bulbs).position == 1

    bulbs_id = bulbs.id
    delete = f"/admin/categories/{bulbs_id}/delete"
    assert as_operator.post(delete, data={"confirm": "yes"}).status_code == 303
    assert reload(bulbs) is None
    again = as_operator.post(delete, data={"confirm": "yes"}, follow_redirects=True)
    assert again.status_code == 200 and "already deleted" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "Seeds", "slug": "Not A Slug", "parent": ""}, "lower-case"),
        ({"name": "", "slug": "empty", "parent": ""}, "Enter a name"),
        ({"name": "Dup", "slug": "books", "parent": ""}, "already used"),
        ({"name": "Orphan", "slug": "orphan", "parent": "not-an-id"}, "existing parent"),
    ],
)
def test_bad_input_is_400_with_a_message(as_operator, garden, data, message):
    response = as_operator.post("/admin/categories/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(audit("category.created")) == 5


def test_edit_refuses_a_cycle_with_400(as_operator, garden):
    response = as_operator.post(
        f"/admin/categories/{garden['home'].id}/edit",
        data={"name": "Home", "slug": "home", "parent": str(garden["hand"].id)},
    )
    assert response.status_code == 400
    assert "inside it" in response.get_data(as_text=True)
    assert reload(garden["home"]).parent_id is None
    form = as_operator.get(f"/admin/categories/{garden['tools'].id}/edit").get_data(as_text=True)
    assert f'value="{garden["hand"].id}"' not in form  # its own descendants are not offered
    assert f'value="{garden["books"].id}"' in form


def test_delete_refused_shows_why(as_operator, garden, shop_a):
    product_in(shop_a, garden["seeds"])
    for key, message in (("tools", "sub-categor"), ("seeds", "holds 1 product")):
        response = as_operator.post(
            f"/admin/categories/{garden[key].id}/delete", data={"confirm": "yes"}
        )
        assert response.status_code == 409
        assert message in response.get_data(as_text=True)
    assert not audit("category.deleted")


def test_delete_asks_once_naming_what_happens(as_operator, garden):
    seeds = garden["seeds"]
    index = as_operator.get("/admin/categories/").get_data(as_text=True)
    delete = f"/admin/categories/{seeds.id}/delete"
    assert f'href="{delete}" aria-label="Delete Seeds…">Delete…</a>' in index  # a link, not a form
    page = as_operator.get(delete)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delete category Seeds?" in html and "/categories/seeds" in html
    assert f'<form method="post" action="{delete}"' in html
    assert '<input type="hidden" name="confirm" value="yes">' in html
    # A POST without the confirmation (an old form, a forged link) only asks.
    for data in ({}, {"confirm": ""}, {"confirm": "no"}):
        response = as_operator.post(delete, data=data)
        assert response.status_code == 303 and response.headers["Location"].endswith(delete)
        assert reload(seeds) is not None
    assert not audit("category.deleted")
    assert as_operator.post(delete, data={"confirm": "yes"}).status_code == 303
    assert reload(seeds) is None and len(audit("category.deleted")) == 1
    assert as_operator.get(delete).status_code == 404


def test_delete_page_says_why_it_cannot_delete(as_operator, garden, shop_a):
    product_in(shop_a, garden["seeds"])
    tools = as_operator.get(f"/admin/categories/{garden['tools'].id}/delete").get_data(as_text=True)
    assert "cannot be deleted yet" in tools and "1 sub-category below it" in tools
    seeds = as_operator.get(f"/admin/categories/{garden['seeds'].id}/delete").get_data(as_text=True)
    assert "cannot be deleted yet" in seeds and "shops file 1 product in it" in seeds
    for html in (tools, seeds):
        assert 'name="confirm"' not in html  # nothing to confirm


def test_bad_move_direction_and_unknown_ids(as_operator, garden):
    response = as_operator.post(
        f"/admin/categories/{garden['home'].id}/move", data={"direction": "left"}
    )
    assert response.status_code == 400
    assert "up or down" in response.get_data(as_text=True)
    missing = "01900000-0000-7000-8000-000000000000"
    assert as_operator.get(f"/admin/categories/{missing}/edit").status_code == 404
    assert (
        as_operator.post(f"/admin/categories/{missing}/move", data={"direction": "up"}).status_code
        == 404
    )
