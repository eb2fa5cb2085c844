"""Platform commission: which rate applies, freezing it per order line, the operator's pages."""

from __future__ import annotations

import os
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Category, Product
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.checkout.models import Checkout
from mall.extensions import db
from mall.ledger import commission_admin as admin
from mall.ledger.commission import (
    DEFAULT_BP,
    FEE_TAX_BP,
    INCLUDE_SHIPPING,
    CommissionError,
    Rate,
    commission_summary,
    freeze_commission,
    rate_for,
    shop_rate,
    shop_rates,
)
from mall.ledger.models import CommissionRate, OrderCommission
from mall.orders.models import Order, OrderLine
from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant, TenantStatus
from tenants.settings import put_setting
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop

IP = "203.0.113.7"
NOBODY = {"actor_id": None, "ip_address": None}
MISSING = UUID("00000000-0000-7000-8000-000000000000")


# ---------------------------------------------------------------- helpers


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def as_operator(client, operator, sign_in, no_csrf):
    sign_in(operator)
    return client


def post(client, path, **data):
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": IP})


def category(name: str, parent: Category | None = None) -> Category:
    made = Category(
        name=name, slug=f"{name[:20].lower()}-{uuid4().hex[:6]}", parent_id=parent and parent.id
    )
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def tree(app_ctx):
    """Home > Lighting > Lamps, and Garden (another branch)."""
    home = category("Home")
    lighting = category("Lighting", home)
    lamps = category("Lamps", lighting)
    garden = category("Garden")
    return {"home": home, "lighting": lighting, "lamps": lamps, "garden": garden}


def product_in(shop: Tenant, where: Category | None) -> UUID:
    sku = f"C-{uuid4().hex[:8]}"
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=f"Thing {sku}",
                variants=[VariantInput(sku=sku, price=1000)],
                category_id=where.id if where else None,
            )
        )
        product_id = product.id
    db.session.commit()
    return product_id


@dataclass
class L:
    """An order line as sold: subtotal, discounts by who funds them, tax."""

    product_id: UUID
    subtotal: int
    discount_shop: int = 0
    discount_platform: int = 0
    tax: int = 0


def order_of(
    shop: Tenant,
    lines: list[L],
    *,
    shipping: int = 0,
    shipping_tax: int = 0,
    inclusive: bool = False,
) -> Order:
    """An order of ``shop`` with these lines (call in ``shop``'s context); flushed."""
    checkout = Checkout(token_digest=os.urandom(32), currency="USD")
    db.session.add(checkout)
    db.session.flush()
    order_lines = []
    for position, spec in enumerate(lines):
        net = spec.subtotal - spec.discount_shop - spec.discount_platform
        order_lines.append(
            OrderLine(
                position=position,
                product_id=spec.product_id,
                variant_id=uuid4(),
                title=f"Line {position + 1}",
                sku=f"SKU-{position}",
                kind="physical",
                unit_price=spec.subtotal,
                quantity=1,
                subtotal=spec.subtotal,
                discount_shop=spec.discount_shop,
                discount_platform=spec.discount_platform,
                tax=spec.tax,
                total=net if inclusive else net + spec.tax,
            )
        )
    lines_total = sum(line.total for line in order_lines)
    order = Order(
        checkout_id=checkout.id,
        number=f"T-{uuid4().hex[:8]}",
        payment_method="test",
        currency="USD",
        subtotal=sum(spec.subtotal for spec in lines),
        shipping_amount=shipping,
        shipping_tax=shipping_tax,
        prices_include_tax=inclusive,
        total=lines_total + shipping + (0 if inclusive else shipping_tax),
        email="carol@example.com",
        lines=order_lines,
    )
    db.session.add(order)
    db.session.flush()
    return order


def audit(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at, AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def set_rate(shop: Tenant, rate_bp: int | None, category_: Category | None = None) -> None:
    if category_ is None:
        admin.set_shop_rate(shop, rate_bp=rate_bp, **NOBODY)
    else:
        admin.set_category_rate(shop, category_id=category_.id, rate_bp=rate_bp, **NOBODY)
    db.session.commit()


def stored_rows(shop: Tenant, order_id: UUID) -> list[OrderCommission]:
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(OrderCommission).where(OrderCommission.order_id == order_id)
            )
        )


# ---------------------------------------------------------------- precedence


def test_the_mall_default_applies_to_a_shop_without_a_rate(shop_a):
    assert shop_rate(shop_a.id) == Rate(1000, "mall default")
    put_setting(DEFAULT_BP, 850)
    assert shop_rate(shop_a.id) == Rate(850, "mall default")


def test_the_shops_rate_beats_the_mall_default(shop_a, shop_b):
    set_rate(shop_a, 1250)
    assert shop_rate(shop_a.id) == Rate(1250, "shop rate")
    assert shop_rate(shop_b.id) == Rate(1000, "mall default")
    set_rate(shop_a, None)
    assert shop_rate(shop_a.id) == Rate(1000, "mall default")


def test_a_category_override_applies_to_its_children_unless_they_have_their_own(
    shop_a, shop_b, tree
):
    set_rate(shop_a, 1200)
    set_rate(shop_a, 1500, tree["lighting"])
    lines = {
        "lamp": tree["lamps"].id,
        "light": tree["lighting"].id,
        "home": tree["home"].id,
        "garden": tree["garden"].id,
        "none": None,
    }
    assert rate_for(shop_a.id, lines) == {
        "lamp": Rate(1500, "category: Lighting"),  # the nearest ancestor with an override
        "light": Rate(1500, "category: Lighting"),
        "home": Rate(1200, "shop rate"),  # overrides apply downwards, never up
        "garden": Rate(1200, "shop rate"),
        "none": Rate(1200, "shop rate"),
    }
    set_rate(shop_a, 1700, tree["lamps"])
    assert rate_for(shop_a.id, lines)["lamp"] == Rate(1700, "category: Lamps")
    assert rate_for(shop_a.id, lines)["light"] == Rate(1500, "category: Lighting")
    # Another shop's overrides are its own.
    assert set(rate_for(shop_b.id, lines).values()) == {Rate(1000, "mall default")}


def test_a_long_category_name_fits_the_rule_column(shop_a):
    long_one = category("L" * 100)
    set_rate(shop_a, 900, long_one)
    rule = rate_for(shop_a.id, {1: long_one.id})[1].rule
    assert len(rule) == 64
    assert rule.startswith("category: LLL")


def test_deciding_rates_takes_the_same_queries_for_one_line_or_forty(shop_a, tree, count_queries):
    set_rate(shop_a, 1500, tree["lighting"])
    shop_id = shop_a.id
    ids = [tree[name].id for name in ("lamps", "garden", "home")]
    with count_queries() as one:
        rate_for(shop_id, {0: ids[0]})
    with count_queries() as forty:
        rate_for(shop_id, {n: ids[n % 3] for n in range(40)})
    assert one.count == forty.count <= 3


# ---------------------------------------------------------------- freezing


def test_freezing_stores_each_lines_rate_rule_base_and_amount(shop_a, tree):
    set_rate(shop_a, 1000)
    set_rate(shop_a, 1250, tree["lighting"])
    lamp, spade = product_in(shop_a, tree["lamps"]), product_in(shop_a, tree["garden"])
    with tenant_context(shop_a):
        order = order_of(
            shop_a,
            [
                # base = total - tax + platform discount = 1000 - 100 - 50 + 50 = 900 (shop
                # discount lowers it, the platform's does not): 12.5 % = 112.5 -> 113
                L(lamp, 1000, discount_shop=100, discount_platform=50, tax=85),
                L(spade, 125),  # 10 % of 125 = 12.5 -> 13 (half-up)
                L(uuid4(), 333),  # a product deleted since: the shop's rate; 33.3 -> 33
            ],
        )
        rows = freeze_commission(order)
        assert [(r.rule, r.rate_bp, r.base, r.amount) for r in rows] == [
            ("category: Lighting", 1250, 900, 113),
            ("shop rate", 1000, 125, 13),
            ("shop rate", 1000, 333, 33),
        ]
        assert [r.order_line_id for r in rows] == [line.id for line in order.lines]
        assert all(r.fee_tax == 0 and r.reversed == 0 for r in rows)
        assert order.commission == 113 + 13 + 33
        assert order.commission_rate_bp == 1000
        db.session.commit()


def test_prices_with_tax_included_are_based_net_of_their_tax(shop_a):
    with tenant_context(shop_a):
        # 1100 with 100 tax inside; a 200 platform coupon the platform pays for.
        order = order_of(shop_a, [L(uuid4(), 1300, discount_platform=200, tax=100)], inclusive=True)
        [row] = freeze_commission(order)
        assert (row.base, row.amount, row.rule) == (1200, 120, "mall default")


def test_freezing_twice_returns_the_stored_rows(shop_a, count_queries):
    with tenant_context(shop_a):
        order = order_of(shop_a, [L(uuid4(), 999), L(uuid4(), 1)])
        first = freeze_commission(order)
        db.session.commit()
        with count_queries() as again:
            second = freeze_commission(order)
        assert [row.id for row in second] == [row.id for row in first]
        assert again.count <= 2  # the order's reload after the commit, the stored rows
        assert order.commission == 100 + 0
    assert len(stored_rows(shop_a, order.id)) == 2


def test_frozen_commission_does_not_follow_later_rate_changes(shop_a, tree):
    lamp = product_in(shop_a, tree["lamps"])
    set_rate(shop_a, 1500, tree["lighting"])
    with tenant_context(shop_a):
        order = order_of(shop_a, [L(lamp, 2000)], shipping=500)
        freeze_commission(order)
        order_id = order.id
    db.session.commit()
    set_rate(shop_a, 3000, tree["lighting"])
    set_rate(shop_a, 2500)
    admin.update_commission_settings(
        default_bp=5000, include_shipping=True, fee_tax_bp=2000, **NOBODY
    )
    db.session.commit()
    with tenant_context(shop_a):
        db.session.expire_all()
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        rows = freeze_commission(order)
        assert [(r.rate_bp, r.amount, r.fee_tax) for r in rows] == [(1500, 300, 0)]
        assert (order.commission, order.commission_rate_bp) == (300, 1000)


@pytest.mark.parametrize(
    ("inclusive", "shipping", "shipping_tax"), [(False, 500, 50), (True, 550, 50)]
)
def test_shipping_counts_at_the_shops_rate_when_the_operator_says_so(
    shop_a, tree, inclusive, shipping, shipping_tax
):
    set_rate(shop_a, 800)
    set_rate(shop_a, 2000, tree["lamps"])
    lamp = product_in(shop_a, tree["lamps"])
    with tenant_context(shop_a):
        off = order_of(shop_a, [L(lamp, 1000)], shipping=shipping, shipping_tax=shipping_tax)
        assert [row.order_line_id for row in freeze_commission(off)] == [off.lines[0].id]
    put_setting(INCLUDE_SHIPPING, True)
    with tenant_context(shop_a):
        on = order_of(
            shop_a,
            [L(lamp, 1000)],
            shipping=shipping,
            shipping_tax=shipping_tax,
            inclusive=inclusive,
        )
        line, ship = freeze_commission(on)
        assert (line.rate_bp, line.amount) == (2000, 200)
        # The shipping net of its tax (500), at the shop's rate, not the category's.
        assert (ship.order_line_id, ship.rule, ship.base, ship.amount) == (
            None,
            "shop rate",
            500,
            40,
        )
        assert on.commission == 240
        free = order_of(shop_a, [L(lamp, 1000)])  # no shipping, no shipping row
        assert len(freeze_commission(free)) == 1


def test_tax_on_the_fee_is_frozen_per_line_half_up(shop_a):
    put_setting(FEE_TAX_BP, 2000)
    with tenant_context(shop_a):
        order = order_of(shop_a, [L(uuid4(), 1000), L(uuid4(), 125)])
        rows = freeze_commission(order)
        # 20 % of 100 = 20; of 13 = 2.6 -> 3
        assert [(row.amount, row.fee_tax) for row in rows] == [(100, 20), (13, 3)]


def test_freezing_takes_the_same_queries_for_one_line_or_twenty(shop_a, tree, count_queries):
    set_rate(shop_a, 1500, tree["lighting"])
    put_setting(INCLUDE_SHIPPING, True)
    products = [product_in(shop_a, where) for where in (tree["lamps"], tree["garden"], None)]
    with tenant_context(shop_a):
        small = order_of(shop_a, [L(products[0], 100)], shipping=500)
        big = order_of(shop_a, [L(products[n % 3], 100 + n) for n in range(20)], shipping=500)
        db.session.commit()
        db.session.expire_all()
        counts = []
        for order in (small, big):
            order = db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()
            with count_queries() as q:
                rows = freeze_commission(order)
            counts.append(q.count)
            assert len(rows) == len(order.lines) + 1
    assert counts[0] == counts[1] <= 9


def test_the_summary_shows_each_frozen_row(shop_a):
    put_setting(INCLUDE_SHIPPING, True)
    with tenant_context(shop_a):
        order = order_of(shop_a, [L(uuid4(), 1000), L(uuid4(), 2000)], shipping=300)
        assert commission_summary(order).lines == []
        freeze_commission(order)
        summary = commission_summary(order)
        assert [(line.label, line.rule, line.rate_bp, line.amount) for line in summary.lines] == [
            ("Line 1", "mall default", 1000, 100),
            ("Line 2", "mall default", 1000, 200),
            ("Shipping", "mall default", 1000, 30),
        ]
        assert summary.total("amount") == summary.total("net") == 330
        assert summary.rate_bp == 1000


def test_a_paid_checkout_freezes_the_commission(client, shop_a, tree, no_csrf):
    set_rate(shop_a, 1500, tree["lighting"])
    stocked = stock_shop(shop_a, price=2000)
    with tenant_context(shop_a):
        product = db.session.scalars(sa.select(Product).where(Product.id == stocked.product_id))
        product.one().category_id = tree["lamps"].id
        db.session.commit()
    add_to_cart(client, stocked.variant_id)
    assert place(client, fill_checkout(client, method="test")).status_code == 303
    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        assert (order.commission, order.commission_rate_bp) == (300, 1000)
        [row] = stored_rows(shop_a, order.id)
        assert (row.rule, row.base) == ("category: Lighting", 2000)


# ---------------------------------------------------------------- what the shop sees


def test_shop_rates_shows_what_applies(shop_a, tree):
    put_setting(FEE_TAX_BP, 2000)
    set_rate(shop_a, 1500, tree["lighting"])
    set_rate(shop_a, 900, tree["garden"])
    rates = shop_rates(shop_a.id)
    assert rates.shop == Rate(1000, "mall default")
    assert [(rate.name, rate.rate_bp) for rate in rates.categories] == [
        ("Garden", 900),
        ("Lighting", 1500),
    ]
    assert (rates.include_shipping, rates.fee_tax_bp) == (False, 2000)


# ---------------------------------------------------------------- the operator's services


def test_rate_changes_are_audited_once(shop_a, tree):
    assert admin.set_shop_rate(shop_a, rate_bp=1250, actor_id=None, ip_address=IP)
    assert not admin.set_shop_rate(shop_a, rate_bp=1250, **NOBODY)
    assert admin.set_category_rate(shop_a, category_id=tree["lamps"].id, rate_bp=700, **NOBODY)
    assert not admin.set_category_rate(shop_a, category_id=tree["lamps"].id, rate_bp=700, **NOBODY)
    assert admin.set_category_rate(shop_a, category_id=tree["lamps"].id, rate_bp=800, **NOBODY)
    assert admin.remove_category_rate(shop_a, category_id=tree["lamps"].id, **NOBODY)
    assert not admin.remove_category_rate(shop_a, category_id=tree["lamps"].id, **NOBODY)
    assert admin.set_shop_rate(shop_a, rate_bp=None, **NOBODY)
    assert not admin.set_shop_rate(shop_a, rate_bp=None, **NOBODY)
    events = audit()
    assert [(e.action, e.details) for e in events] == [
        (
            "commission.shop_rate_set",
            {"from_bp": 1000, "to_bp": 1250, "applies": "shop rate"},
        ),
        (
            "commission.category_rate_set",
            {"category": "Lamps", "from_bp": None, "to_bp": 700},
        ),
        (
            "commission.category_rate_set",
            {"category": "Lamps", "from_bp": 700, "to_bp": 800},
        ),
        (
            "commission.category_rate_removed",
            {"category": "Lamps", "from_bp": 800, "to_bp": None},
        ),
        (
            "commission.shop_rate_removed",
            {"from_bp": 1250, "to_bp": 1000, "applies": "mall default"},
        ),
    ]
    assert all(e.target_type == "shop" and e.target_id == str(shop_a.id) for e in events)
    assert events[0].ip_address == IP
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommissionRate)) == 0


@pytest.mark.parametrize("rate_bp", [-1, 10_001, 2**31])
def test_a_rate_outside_0_to_100_percent_is_refused(shop_a, tree, rate_bp):
    with pytest.raises(CommissionError, match="between 0 and 100 percent"):
        admin.set_shop_rate(shop_a, rate_bp=rate_bp, **NOBODY)
    with pytest.raises(CommissionError, match="between 0 and 100 percent"):
        admin.set_category_rate(shop_a, category_id=tree["home"].id, rate_bp=rate_bp, **NOBODY)
    with pytest.raises(CommissionError, match="between 0 and 100 percent"):
        admin.update_commission_settings(
            default_bp=rate_bp, include_shipping=False, fee_tax_bp=0, **NOBODY
        )


def test_closed_shops_and_unknown_categories_are_refused(make_shop, tree):
    closed = make_shop(status=TenantStatus.CLOSED)
    with pytest.raises(CommissionError, match="is closed"):
        admin.set_shop_rate(closed, rate_bp=100, **NOBODY)
    with pytest.raises(CommissionError, match="existing category"):
        admin.set_category_rate(make_shop(), category_id=MISSING, rate_bp=100, **NOBODY)


def test_settings_changes_are_audited_in_words(app_ctx):
    assert admin.update_commission_settings(
        default_bp=1250, include_shipping=True, fee_tax_bp=0, **NOBODY
    )
    assert not admin.update_commission_settings(
        default_bp=1250, include_shipping=True, fee_tax_bp=0, **NOBODY
    )
    [event] = audit("commission.settings_updated")
    assert event.details == {
        "changed": {"mall_commission": ["10%", "12.5%"], "commission_on_shipping": [False, True]}
    }


# ---------------------------------------------------------------- the operator's pages


def commission_paths(app, shop_id, category_id) -> list[tuple[str, str]]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("commission_console."):
            values = {"shop_id": shop_id, "category_id": category_id}
            path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
            paths += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return paths


def test_only_operators_reach_the_commission_pages(
    app, client, shop_a, tree, make_user, sign_in, no_csrf
):
    paths = commission_paths(app, shop_a.id, tree["home"].id)
    assert len(paths) == 6
    for method, path in paths:
        response = client.open(path, method=method, data={"default_percent": "50"})
        assert response.status_code == 302, f"anonymous {method} {path}"
        assert "/account/login" in response.headers["Location"]
    sign_in(make_user("member@example.com"))
    for method, path in paths:
        assert client.open(path, method=method).status_code == 403, f"{method} {path}"
    assert audit() == []


def test_the_console_links_to_commission(as_operator):
    page = as_operator.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/commission"' in page


def test_the_operator_saves_the_mall_wide_settings(as_operator, shop_a):
    page = as_operator.get("/admin/commission")
    assert page.status_code == 200
    assert shop_a.name in page.get_data(as_text=True)
    response = post(
        as_operator,
        "/admin/commission",
        default_percent="12.5",
        include_shipping="y",
        fee_tax_percent="20",
    )
    assert response.status_code == 303
    follow = as_operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Commission settings saved" in follow
    assert 'value="12.5"' in follow
    [event] = audit("commission.settings_updated")
    assert event.ip_address == IP
    assert shop_rate(shop_a.id) == Rate(1250, "mall default")
    assert shop_rates(shop_a.id).fee_tax_bp == 2000


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("default_percent", "12.345", "at most 2 decimals"),
        ("default_percent", "100.01", "between 0 and 100"),
        ("default_percent", "-1", "between 0 and 100"),
        ("default_percent", "abc", "as a number"),
        ("default_percent", "NaN", "as a number"),
        ("default_percent", "1e3", "as a number"),
        ("default_percent", "", "Enter the mall&#39;s commission"),
        ("default_percent", "9" * 40, "at most 20 characters"),
        ("default_percent", str(2**31), "between 0 and 100"),
        ("default_percent", str(10**20), "at most 20 characters"),
        ("fee_tax_percent", "101", "between 0 and 100"),
    ],
)
def test_bad_settings_are_a_400_with_a_message(as_operator, field, typed, message):
    data = {"default_percent": "10", "fee_tax_percent": "0", field: typed}
    response = post(as_operator, "/admin/commission", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert audit() == []


def test_the_operator_sets_and_clears_a_shops_rate(as_operator, shop_a):
    base = f"/admin/commission/shops/{shop_a.id}"
    assert as_operator.get(base).status_code == 200
    response = post(as_operator, f"{base}/rate", shop_percent="7.25%")
    assert response.status_code == 303
    assert "commission is now 7.25%" in as_operator.get(base).get_data(as_text=True)
    assert shop_rate(shop_a.id) == Rate(725, "shop rate")
    assert post(as_operator, f"{base}/rate", shop_percent="7.25").status_code == 303
    assert "nothing changed" in as_operator.get(base).get_data(as_text=True)
    assert post(as_operator, f"{base}/rate", shop_percent="").status_code == 303
    assert shop_rate(shop_a.id) == Rate(1000, "mall default")
    actions = [event.action for event in audit()]
    assert actions == ["commission.shop_rate_set", "commission.shop_rate_removed"]
    response = post(as_operator, f"{base}/rate", shop_percent="150")
    assert response.status_code == 400
    assert "between 0 and 100" in response.get_data(as_text=True)
    assert as_operator.get(f"/admin/commission/shops/{MISSING}").status_code == 404


def test_the_operator_adds_changes_and_removes_an_override(as_operator, shop_a, tree):
    base = f"/admin/commission/shops/{shop_a.id}"
    lamps = str(tree["lamps"].id)
    response = post(as_operator, f"{base}/categories", category_id=lamps, category_percent="15")
    assert response.status_code == 303
    page = as_operator.get(base).get_data(as_text=True)
    assert "pays 15% on Lamps now" in page
    assert rate_for(shop_a.id, {1: tree["lamps"].id})[1] == Rate(1500, "category: Lamps")
    # "Change" opens the form filled in for that category.
    change = as_operator.get(f"{base}?category={lamps}").get_data(as_text=True)
    assert f'<option selected value="{lamps}">' in change
    assert 'value="15"' in change
    post(as_operator, f"{base}/categories", category_id=lamps, category_percent="16")
    assert rate_for(shop_a.id, {1: tree["lamps"].id})[1].rate_bp == 1600
    response = post(as_operator, f"{base}/categories/{lamps}/remove")
    assert response.status_code == 303
    assert "override is removed" in as_operator.get(base).get_data(as_text=True)
    post(as_operator, f"{base}/categories/{lamps}/remove")
    assert "has no override" in as_operator.get(base).get_data(as_text=True)
    assert [event.action for event in audit()] == [
        "commission.category_rate_set",
        "commission.category_rate_set",
        "commission.category_rate_removed",
    ]


@pytest.mark.parametrize(
    ("category_id", "typed", "message"),
    [
        ("", "10", "Choose a category."),
        (str(MISSING), "10", "Choose a category."),
        ("not-a-uuid", "10", "Choose a category."),
        (None, "", "Enter the category&#39;s commission"),
        (None, "12.001", "at most 2 decimals"),
    ],
)
def test_a_bad_override_is_a_400_with_a_message(
    as_operator, shop_a, tree, category_id, typed, message
):
    data = {"category_id": str(tree["home"].id) if category_id is None else category_id}
    response = post(
        as_operator,
        f"/admin/commission/shops/{shop_a.id}/categories",
        category_percent=typed,
        **data,
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert audit() == []


def test_a_closed_shops_rates_cannot_change(as_operator, make_shop):
    closed = make_shop(status=TenantStatus.CLOSED, name="Gone Shop")
    response = post(as_operator, f"/admin/commission/shops/{closed.id}/rate", shop_percent="5")
    assert response.status_code == 409
    assert "Gone Shop is closed" in response.get_data(as_text=True)
    assert audit() == []


def test_a_removal_needs_its_csrf_token(client, operator, sign_in, shop_a, tree):
    sign_in(operator)
    set_rate(shop_a, 900, tree["home"])
    path = f"/admin/commission/shops/{shop_a.id}/categories/{tree['home'].id}/remove"
    assert client.post(path).status_code == 400
    assert shop_rates(shop_a.id).categories != []


def test_the_commission_pages_query_count_does_not_grow(
    as_operator, make_shop, tree, count_queries
):
    def shops_with_overrides(count: int) -> Tenant:
        for _ in range(count):
            shop = make_shop()
            set_rate(shop, 1100)
            set_rate(shop, 900, tree["home"])
        return shop

    costs = []
    for count, overrides in ((2, 1), (12, 4)):
        shop = shops_with_overrides(count)
        for where in list(tree.values())[:overrides]:
            set_rate(shop, 500 + count, where)
        with count_queries() as listing:
            assert as_operator.get("/admin/commission").status_code == 200
        with count_queries() as one_shop:
            assert as_operator.get(f"/admin/commission/shops/{shop.id}").status_code == 200
        costs.append((listing.count, one_shop.count))
    assert costs[0] == costs[1]
