"""Issue 11's demo, in the browser: a shop ships part of an order, refunds one line and sees the
exact effect on its statement; the operator sees the commission earned and pays shops out.

The first journey works on the demo's own order (``mall.demo.money``: Green Thumb's paid
order of the demo customer, two lines of two units, nothing shipped), which nothing else
in the browser suite touches. The second pays out a shop it makes itself, so it does not
depend on what other journeys did to the demo shops' balances.
"""

from __future__ import annotations

import csv
import io
import re
from uuid import uuid4

from playwright.sync_api import expect

from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.e2e.page_checks import check_pages

OWNER = "maya.member@mall.example"  # owns every demo shop (DEMO_PEOPLE)
OPERATOR = "olive.operator@mall.example"
SHIPPED = "Stainless Steel Hand Trowel"  # the story order's lines (mall.demo.money.STORY)
REFUNDED = "Heirloom Tomato Seed Collection"  # in Seeds: Green Thumb's 8 % override
SEEDS_RATE_BP = 800


def cents(text: str) -> int:
    """'$1,234.56' or '-$6.23' (as the pages print money) in minor units."""
    match = re.fullmatch(r"\s*(-?)\$([\d,]+)\.(\d\d)\s*", text)
    assert match, f"not an amount: {text!r}"
    sign, whole, fraction = match.groups()
    value = int(whole.replace(",", "")) * 100 + int(fraction)
    return -value if sign else value


def demo_story_order(live_app) -> str:
    """The number of the demo's order to ship in part and refund (made by the seed)."""
    from mall.demo.money import demo_order

    with live_app.app_context():
        order = demo_order("story")
        assert order is not None, "the demo seeds Green Thumb's story order"
        return order.number


def balance_owed(page) -> int:
    """What the Money page says the mall owes the shop in all."""
    return cents(page.locator("#balance-total").inner_text())


def open_money(page) -> None:
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Money"
    ).click()
    expect(page.get_by_role("heading", name="Money", exact=True)).to_be_visible()


def test_an_owner_ships_part_of_an_order_refunds_a_line_and_sees_it_on_the_statement(
    page, live_app
):
    number = demo_story_order(live_app)
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/shop/green-thumb/admin/")
    open_money(page)
    before = balance_owed(page)
    rates = page.locator("#category-rates")
    expect(rates.get_by_role("row").filter(has_text="Seeds")).to_contain_text("8%")

    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Orders"
    ).click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()

    # One trowel of two goes in the first parcel.
    parcel = page.get_by_role("group", name="Items in this parcel")
    parcel.get_by_label(re.compile(f"^{SHIPPED}")).fill("1")
    parcel.get_by_label(re.compile(f"^{REFUNDED}")).fill("0")
    page.get_by_label("Carrier", exact=True).select_option(label="Royal Mail")
    page.get_by_label("Tracking number").fill("RM987654321GB")
    page.get_by_role("button", name="Record shipment").click()
    expect(page.get_by_role("alert").filter(has_text="Shipment recorded")).to_contain_text(
        "1 item with Royal Mail"
    )
    expect(page.locator("h1 + .badge")).to_have_text("Partially fulfilled")
    shipments = page.get_by_role("region", name="Shipments")
    expect(shipments.get_by_role("link", name="RM987654321GB")).to_be_visible()
    expect(shipments).to_contain_text(f"1 \u00d7 {SHIPPED}")

    # The seeds are refunded instead, and go back on the shelf.
    items = page.get_by_role("region", name="Items")
    seeds_row = items.get_by_role("row").filter(has_text=REFUNDED)
    line_total = cents(seeds_row.locator("td[data-label='Total']").inner_text())
    line_tax = cents(seeds_row.locator("td[data-label='Tax']").inner_text().splitlines()[0])
    page.get_by_text("Refund this order").click()
    page.get_by_label(f"Units of {REFUNDED} to refund").fill("2")
    page.get_by_label("Put the refunded items back in stock").check()
    page.get_by_label("Reason").fill("Out of season: the customer asked for a refund.")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Refunded")).to_contain_text(number)
    refunds = page.get_by_role("region", name="Refunds")
    refund_row = refunds.get_by_role("row").filter(has_text=REFUNDED)
    expect(refund_row).to_contain_text("2 \u00d7")
    expect(refund_row).to_contain_text("restocked")
    assert cents(refund_row.locator("td[data-label='Amount']").inner_text()) == line_total
    expect(page.locator("h1 + .badge")).to_have_text("Partially fulfilled")

    # The statement: the refund's own lines, newest first, and the balance moved by exactly them.
    open_money(page)
    after = balance_owed(page)
    lines = page.locator("#statement-lines tbody tr").filter(
        has=page.get_by_text(f"Refund on order {number}", exact=True)
    )
    amounts: dict[str, int] = {}
    for row in lines.all():
        label = row.locator("td[data-label='Line']").inner_text().strip()
        amounts[label] = amounts.get(label, 0) + cents(
            row.locator("td[data-label='Amount']").inner_text()
        )
    net = line_total - line_tax
    commission = (net * SEEDS_RATE_BP + 5_000) // 10_000  # half-up, at the sale's frozen rate
    assert amounts == {"Refund": -net, "Tax": -line_tax, "Commission returned": commission}, amounts
    assert after - before == sum(amounts.values()) == -line_total + commission
    newest = page.locator("#statement-lines tbody tr").first
    expect(newest.get_by_role("link", name=f"Refund on order {number}")).to_be_visible()
    assert cents(newest.locator("td[data-label='Balance']").inner_text()) == after


def sell_and_release(live_app, slug: str, price: int) -> str:
    """A digital sale of shop ``slug`` to the demo customer (test payment), released at once.

    As the demo does for its paid-out order: the holding period is skipped for this order.
    Returns the order's number.
    """
    import sqlalchemy as sa

    from mall.accounts.services import find_user_by_email
    from mall.catalog.models import ProductKind, ProductStatus
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.demo.selling import CUSTOMER, place_demo_order
    from mall.extensions import db
    from mall.ledger.release import release_order
    from mall.orders.services import orders_of_checkout
    from tenants.context import tenant_context
    from tenants.models import Tenant

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            product = create_product(
                ProductInput(
                    title="Garden Planner Template",
                    slug="garden-planner",
                    status=ProductStatus.PUBLISHED,
                    kind=ProductKind.DIGITAL,
                    variants=[VariantInput(sku="GPT-1", price=price, track_stock=False)],
                )
            )
            variant = product.variants[0]
        checkout = place_demo_order(find_user_by_email(CUSTOMER), [(variant, 1)], "test")
        (order,) = orders_of_checkout(checkout.id)
        number = order.number
        release_order(order.id, order.tenant_id, number=number)
        db.session.commit()
        return number


def test_the_operator_sees_commission_and_revenue_and_pays_shops_out(
    page, browser, live_app, live_server
):
    suffix = uuid4().hex[:8]
    slug, name = f"payday-{suffix}", f"Payday {suffix}"
    owner = f"payday-{suffix}@example.com"
    make_person(live_app, owner, name="Petra Payday", owns=(slug, name))
    number = sell_and_release(live_app, slug, price=4_200)
    sign_in(page, OPERATOR, DEMO_PASSWORD)
    console = page.get_by_role("navigation", name="Operator console")

    # Commission: the mall's rate, and Green Thumb's override for Seeds.
    page.goto("/admin/")
    console.get_by_role("link", name="Commission").click()
    expect(page.get_by_role("heading", name="Commission", exact=True)).to_be_visible()
    expect(page.get_by_label("Mall commission (%)")).to_have_value("10")
    # Other journeys open shops too: find Green Thumb by name, as an operator would.
    finder = page.get_by_role("search", name="Find a shop")
    finder.get_by_label("Name or address").fill("Green Thumb")
    finder.get_by_role("button", name="Find").click()
    green = page.get_by_role("row").filter(has_text="Green Thumb Garden Supply")
    expect(green).to_contain_text("10% (mall)")
    green.get_by_role("link", name="Green Thumb Garden Supply").click()
    expect(
        page.locator("#category-rates").get_by_role("row").filter(has_text="Seeds")
    ).to_contain_text("8%")

    # Revenue: the commission earned on the demo's sales.
    console.get_by_role("link", name="Revenue").click()
    expect(page.get_by_role("heading", name="Revenue", exact=True)).to_be_visible()
    total = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total"))
    assert cents(total.locator("td[data-label='Commission']").inner_text()) > 0

    # Payouts: a run puts the new shop (and any other shop owed) in the open manual batch.
    console.get_by_role("link", name="Payouts", exact=True).click()
    expect(page.get_by_role("heading", name="Payouts", exact=True)).to_be_visible()
    shop_row = page.get_by_role("row").filter(has_text=name)
    owed = cents(shop_row.locator("td[data-label='Available']").inner_text())
    assert owed > 0
    page.get_by_role("button", name="Run payouts now").click()
    expect(page.get_by_role("alert").filter(has_text="payout(s) made")).to_be_visible()
    expect(shop_row.locator("td[data-label='Available']")).to_have_text("$0.00")
    expect(shop_row.locator("td[data-label='On its way']")).to_have_text(page_money(owed))
    batches = page.locator("#payout-batches")
    batches.get_by_role("row").filter(has_text="open").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Manual batch"))).to_be_visible()
    ours = page.locator("#batch-payouts").get_by_role("row").filter(has_text=name)
    expect(ours.locator("td[data-label='Amount']")).to_have_text(page_money(owed))
    reference = ours.locator("code").inner_text()

    page.get_by_role("button", name="Close and export as CSV").click()
    expect(page.get_by_role("alert").filter(has_text="The batch is closed")).to_be_visible()
    expect(page.locator("#batch-summary")).to_contain_text("exported")  # no reload needed
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV").click()
    exported = download.value
    assert exported.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(exported.path().read_text(encoding="utf-8"))))
    mine = [row for row in rows if row["shop_address"] == slug]
    assert len(mine) == 1 and mine[0]["reference"] == reference
    assert cents(f"${mine[0]['amount']}") == owed

    page.get_by_role("button", name="Mark the batch paid").click()
    expect(page.locator("#batch-summary")).to_contain_text("paid")
    expect(ours.locator("td[data-label='Status']")).to_have_text("paid")

    # The shop's owner sees the payout as paid on its Money page, and what it paid.
    problems: list[str] = []
    owner_view = browser.new_context(base_url=live_server)
    try:
        their = owner_view.new_page()
        their.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        their.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(their, owner)
        their.goto(f"/shop/{slug}/admin/money/")
        money_url = their.url
        payout = their.locator("#payout-list tbody tr").first
        expect(payout.locator("td[data-label='Status']")).to_have_text("Paid")
        expect(payout.locator("td[data-label='Amount']")).to_have_text(page_money(owed))
        expect(their.locator("#balance-available")).to_contain_text("$0.00")
        paid = their.locator("#statement-lines tbody tr").filter(has_text="Payout paid")
        expect(paid.locator("td[data-label='Amount']")).to_have_text(page_money(-owed))
        expect(their.locator("#balance-total")).to_have_text("$0.00")
        payout.get_by_role("link").click()
        expect(their.get_by_role("heading", name=f"Payout {reference}")).to_be_visible()
        expect(their.locator("#payout-summary")).to_contain_text("Paid")
        expect(their.locator("#payout-items")).to_contain_text(f"Order {number}")
        problems += check_pages(owner_view, [money_url, their.url])
    finally:
        owner_view.close()
    assert not problems, problems


def page_money(minor: int) -> str:
    """Minor units as the pages print them (USD in the test mall)."""
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) // 100:,}.{abs(minor) % 100:02d}"
