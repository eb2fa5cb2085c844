"""The sales office of the demo mall, click by click (issue 14): Green Thumb's owner opens the demo
purchase order to Hillside Seed Co. (received in part, billed), its bill (paid) and the payables;
then takes a phone order, issues the invoice, the customer pays it from the emailed pay link
with the test provider, and the owner finds it paid and its order in the order list. Last, the
demo customer's tracking page shows the parcel the drop-ship vendor sent."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import sign_in
from tests.support.mail import link_in, sent_to

OWNER = "maya.member@mall.example"  # owns Green Thumb (DEMO_PEOPLE)
SHOP = "green-thumb"
HILLSIDE = "Hillside Seed Co."
PARCEL = "15501234567890"  # vendors.demo.PARCEL
CUSTOMER = "carla.customer@mall.example"  # the demo customer (DEMO_PEOPLE)
OLIVE = "Potted Olive Tree"  # drop-shipped by Fernway Nursery Direct (vendors.demo)


def demo_purchasing(live_app) -> tuple[str, str, str]:
    """(the stock PO's number, its bill's reference, the drop-ship order's number)."""
    import sqlalchemy as sa

    from mall.demo.money import demo_order
    from mall.extensions import db
    from tenants.context import tenant_context
    from vendors.models import PurchaseOrder, Vendor, VendorBill

    with live_app.app_context():
        order = demo_order("drop-ship")
        with tenant_context(order.tenant_id):
            hillside = db.session.scalars(sa.select(Vendor).where(Vendor.name == HILLSIDE)).one()
            po = db.session.scalars(
                sa.select(PurchaseOrder).where(PurchaseOrder.vendor_id == hillside.id)
            ).one()
            bill = db.session.scalars(sa.select(VendorBill).where(VendorBill.po_id == po.id)).one()
            return po.number, bill.reference, order.number


def see_the_purchase(page, po_number: str, bill_reference: str) -> None:
    page.goto(f"/shop/{SHOP}/admin/")
    office = page.get_by_role("navigation", name="Shop back office")
    office.get_by_role("link", name="Purchasing").click()
    purchasing = page.get_by_role("navigation", name="Purchasing")
    purchasing.get_by_role("link", name="Purchase orders").click()
    page.get_by_role("link", name="Partially received", exact=True).click()
    page.get_by_role("link", name=po_number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Purchase order {po_number}")).to_be_visible()
    expect(page.get_by_text("Partially received").first).to_be_visible()
    basil = page.get_by_role("row", name=re.compile("Basil"))
    expect(basil).to_contain_text("4 packs (40 units)")  # received, and billed
    tomatoes = page.get_by_role("row", name=re.compile("Tomato"))
    expect(tomatoes).to_contain_text("3 packs (30 units)")  # ordered
    expect(tomatoes).to_contain_text("1 pack (10 units)")  # received, and billed

    page.get_by_role("navigation", name="Purchasing").get_by_role("link", name="Bills").click()
    page.get_by_role("link", name=bill_reference, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(f"^Bill {bill_reference}"))).to_be_visible()
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.get_by_text("$102.00").first).to_be_visible()

    page.get_by_role("navigation", name="Purchasing").get_by_role("link", name="Payables").click()
    expect(page.get_by_role("heading", name="Payables")).to_be_visible()


def take_a_phone_order(page, live_app, buyer: str) -> tuple[str, str, str]:
    """The owner types the order and issues the invoice: (its number, the pay link emailed to
    ``buyer``, the total)."""
    page.goto(f"/shop/{SHOP}/admin/")
    office = page.get_by_role("navigation", name="Shop back office")
    office.get_by_role("link", name="Sales", exact=True).click()
    expect(page.get_by_role("heading", name="Sales")).to_be_visible()
    page.get_by_role("link", name="New phone order").click()
    page.get_by_label("Customer's email").fill(buyer)
    page.get_by_label("Customer's name").fill("Ada Lovelace")
    page.locator("#ship-name").fill("Ada Lovelace")
    page.locator("#ship-line1").fill("12 Marylebone Road")
    page.locator("#ship-city").fill("London")
    page.locator("#ship-postal_code").fill("NW1 5LR")
    page.locator("#ship-country").select_option("GB")
    page.locator("#sku-0").fill("GT-BAS")
    page.locator("#quantity-0").fill("10")
    page.locator("#price-0").fill("2.50")
    page.locator("#price_reason-0").fill("Trade price")
    page.get_by_role("button", name="Show totals").click()
    expect(page.locator("#document-total")).to_have_text(re.compile(r"^\$\d+\.\d\d$"))
    total = page.locator("#document-total").inner_text()
    page.get_by_role("button", name="Issue invoice").click()
    issued = page.get_by_text(re.compile(r"Invoice GREENTHUMB-INV-\d+ issued and emailed"))
    expect(issued).to_be_visible()
    number = re.search(r"GREENTHUMB-INV-\d+", issued.inner_text()).group(0)
    (mail,) = sent_to(live_app, buyer)
    assert number in mail["Subject"]
    return number, link_in(mail, "/pay/"), total


def pay_the_invoice(page, number: str, pay_path: str, total: str) -> None:
    page.context.clear_cookies()  # the customer, in their own browser, without an account
    page.goto(pay_path)
    expect(page.get_by_role("heading", name=re.compile(f"Invoice {number}"))).to_be_visible()
    page.get_by_label(re.compile("Test payment")).check()
    page.get_by_role("button", name=f"Pay {total}").click()
    expect(page.get_by_text("the invoice is paid")).to_be_visible()


def see_it_paid(page, invoice: str) -> None:
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto(f"/shop/{SHOP}/admin/sales/?kind=invoice&status=paid")
    page.get_by_role("link", name=invoice, exact=True).click()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    page.get_by_role("link", name="view the order its payment made").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Order GREENTHUMB-\d+$"))
    expect(heading).to_be_visible()
    number = heading.inner_text().removeprefix("Order ")
    page.goto(f"/shop/{SHOP}/admin/")
    office = page.get_by_role("navigation", name="Shop back office")
    office.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("link", name=number, exact=True)).to_be_visible()


def test_the_demo_sales_office_story(page, live_app):
    po_number, bill_reference, dropped = demo_purchasing(live_app)
    sign_in(page, OWNER, DEMO_PASSWORD)
    see_the_purchase(page, po_number, bill_reference)

    buyer = f"phone-{uuid4().hex[:8]}@example.com"
    invoice, pay_path, total = take_a_phone_order(page, live_app, buyer)
    pay_the_invoice(page, invoice, pay_path, total)
    see_it_paid(page, invoice)

    # The demo customer follows the parcel the nursery sent (drop-ship) from their orders.
    page.context.clear_cookies()
    sign_in(page, CUSTOMER, DEMO_PASSWORD)
    page.get_by_role("link", name="Your orders").click()
    page.get_by_role("link", name=f"Track order {dropped}").click()
    expect(page.get_by_role("heading", name=f"Order {dropped}")).to_be_visible()
    expect(page.get_by_text(OLIVE).first).to_be_visible()
    parcel = page.get_by_role("link", name=re.compile(rf"Follow the parcel \({PARCEL}\) on DPD"))
    expect(parcel).to_be_visible()
