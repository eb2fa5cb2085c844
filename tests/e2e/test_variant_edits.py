"""An owner adds an option to a stocked product (stock kept), then removes a value (asked first)."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def receive(page, variant: str, quantity: int) -> None:
    """Record a receipt on the product's Stock page."""
    page.get_by_role("navigation", name="Product sections").get_by_role(
        "link", name="Stock"
    ).click()
    page.get_by_label("Variant", exact=True).select_option(label=variant)
    page.get_by_label("Kind", exact=True).select_option("receipt")
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text(f"+{quantity} recorded (receipt).")).to_be_visible()


def test_option_edits_keep_stock_and_ask_before_removing_it(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"variants-{suffix}@example.com"
    slug = f"variants-{suffix}"
    make_person(live_app, email, name="Vera Owner", owns=(slug, f"Variant Journey {slug}"))
    sign_in(page, email)

    # A product in two sizes, with stock.
    page.goto(f"/shop/{slug}/admin/catalog/products/new")
    page.get_by_label("Title", exact=True).fill("Trail Merino")
    page.get_by_label("Option 1 name").fill("Size")
    page.get_by_label("Option 1 values (comma separated)").fill("S, M")
    page.get_by_role("button", name="Generate variants").click()
    page.get_by_label("Price (Size: S)", exact=True).fill("69")
    page.get_by_label("Price (Size: M)", exact=True).fill("69")
    page.get_by_label("Low-stock threshold (Size: S)", exact=True).fill("3")
    page.get_by_role("button", name="Create the product").click()
    expect(page.get_by_text("“Trail Merino” is saved.")).to_be_visible()
    receive(page, "TRAIL-MERINO-S (Size: S)", 12)
    receive(page, "TRAIL-MERINO-M (Size: M)", 5)

    # Adding a colour keeps each size as its first colour: same SKU, same stock.
    sections = page.get_by_role("navigation", name="Product sections")
    sections.get_by_role("link", name="Details").click()
    page.get_by_label("Option 2 name").fill("Colour")
    page.get_by_label("Option 2 values (comma separated)").fill("Charcoal, Navy")
    page.get_by_role("button", name="Generate variants").click()
    expect(page.get_by_label("SKU (Size: S, Colour: Charcoal)", exact=True)).to_have_value(
        "TRAIL-MERINO-S"
    )
    expect(page.get_by_label("Low-stock threshold (Size: S, Colour: Charcoal)")).to_have_value("3")
    expect(page.get_by_text("12 on hand")).to_be_visible()
    expect(page.get_by_role("heading", name="Variants to remove")).to_have_count(0)
    page.get_by_role("button", name="Save the product").click()
    expect(page.get_by_text("“Trail Merino” is saved.")).to_be_visible()

    sections = page.get_by_role("navigation", name="Product sections")
    sections.get_by_role("link", name="Stock").click()
    levels = page.get_by_role("region", name="On hand")
    small = levels.get_by_role("row").filter(has_text="TRAIL-MERINO-S")
    expect(small.first.get_by_role("cell", name="Size: S, Colour: Charcoal")).to_be_visible()
    expect(small.first.get_by_role("cell", name="12", exact=True)).to_be_visible()

    # Dropping size M lists its variants with their stock, and asks.
    page.get_by_role("navigation", name="Product sections").get_by_role(
        "link", name="Details"
    ).click()
    page.get_by_label("Option 1 values (comma separated)").fill("S")
    page.get_by_role("button", name="Generate variants").click()
    going = page.get_by_role("region", name="Variants to remove")
    expect(going.get_by_role("row").filter(has_text="TRAIL-MERINO-M")).to_have_count(2)
    medium = going.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="TRAIL-MERINO-M", exact=True)
    )
    expect(medium.get_by_role("cell", name="5", exact=True)).to_be_visible()
    page.get_by_label("Remove these variants and their stock").check()
    page.get_by_role("button", name="Save the product").click()
    expect(page.get_by_text("The removed variants' stock is in its stock history.")).to_be_visible()

    # The stock left through a movement the history keeps.
    page.get_by_role("navigation", name="Product sections").get_by_role(
        "link", name="Stock"
    ).click()
    history = page.get_by_role("region", name=re.compile("^History"))
    removed = history.get_by_role("row").filter(has_text="Variant removed")
    expect(removed).to_have_count(1)
    expect(removed.get_by_role("cell", name="-5")).to_be_visible()
    expect(removed.get_by_text("TRAIL-MERINO-M", exact=False)).to_be_visible()
    expect(page.get_by_role("region", name="On hand").get_by_role("row")).to_have_count(3)
