"""A shop owner adds a product with sizes, prices it, publishes it, receives stock, adds a photo."""

from __future__ import annotations

import re
from uuid import uuid4

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def test_an_owner_builds_a_product_with_variants_stock_and_a_photo(page, live_app, tmp_path):
    suffix = uuid4().hex[:8]
    email = f"catalog-{suffix}@example.com"
    slug = f"catalog-{suffix}"
    make_person(live_app, email, name="Cat Owner", owns=(slug, f"Catalog Journey {slug}"))
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/catalog/")
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    page.get_by_role("link", name="New product").click()
    expect(page.get_by_role("heading", name="New product")).to_be_visible()

    page.get_by_label("Title", exact=True).fill("Journey Tee")
    page.get_by_label("Description (Markdown)").fill("A **soft** tee for the road.")
    page.get_by_label("Option 1 name").fill("Size")
    page.get_by_label("Option 1 values (comma separated)").fill("S, M")
    page.get_by_role("button", name="Generate variants").click()

    expect(page.get_by_label("SKU (Size: S)", exact=True)).to_have_value("JOURNEY-TEE-S")
    expect(page.get_by_label("SKU (Size: M)", exact=True)).to_have_value("JOURNEY-TEE-M")
    page.get_by_label("Price (Size: S)", exact=True).fill("25")
    page.get_by_label("Price (Size: M)", exact=True).fill("27.50")
    page.get_by_label("Low-stock threshold (Size: S)", exact=True).fill("3")
    page.get_by_label("Status", exact=True).select_option("published")
    page.get_by_role("button", name="Create the product").click()

    expect(page.get_by_text("“Journey Tee” is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Journey Tee")).to_be_visible()
    preview = page.get_by_role("region", name="Description preview")
    expect(preview.locator("strong")).to_have_text("soft")

    sections = page.get_by_role("navigation", name="Product sections")
    sections.get_by_role("link", name="Stock").click()
    expect(page.get_by_role("heading", name="Stock of Journey Tee")).to_be_visible()
    page.get_by_label("Variant", exact=True).select_option(label="JOURNEY-TEE-S (Size: S)")
    page.get_by_label("Kind", exact=True).select_option("receipt")
    page.get_by_label("Quantity", exact=True).fill("12")
    page.get_by_label("Note (optional)").fill("First delivery")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("JOURNEY-TEE-S: +12 recorded (receipt).")).to_be_visible()
    history = page.get_by_role("region", name=re.compile("^History"))
    expect(history.get_by_role("cell", name="First delivery")).to_be_visible()

    photo = tmp_path / "tee.png"
    Image.new("RGB", (600, 400), "navy").save(photo)
    sections = page.get_by_role("navigation", name="Product sections")
    sections.get_by_role("link", name="Images").click()
    page.get_by_label("Image", exact=True).set_input_files(str(photo))
    page.get_by_label("Alt text (describes the picture)").fill("A navy tee, folded")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("The image is added.")).to_be_visible()
    expect(page.get_by_role("img", name="A navy tee, folded")).to_be_visible()

    page.get_by_role("link", name="All products").click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Journey Tee")
    expect(row.get_by_role("link", name="Journey Tee")).to_be_visible()
    expect(row.get_by_text("Published")).to_be_visible()
    expect(row.get_by_text("12 on hand")).to_be_visible()
    expect(row.get_by_text(re.compile(r"^\$25\.00.\$27\.50$"))).to_be_visible()
    expect(row.get_by_role("img", name="A navy tee, folded")).to_be_visible()
