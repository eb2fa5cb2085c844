"""A signed-in customer buys a digital product (with a licence key), downloads its file from
their downloads page, and the shop gives the access again from the order page."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import checkout_digital_to_review, make_person, sign_in

OWNER = "maya.member@mall.example"  # owns every demo shop (DEMO_PEOPLE)
PRODUCT = "Gridline Mono Font"  # Pixel Forge's, with a licence key pool (mall/demo/delivery.py)


def test_a_customer_downloads_what_they_bought_and_the_shop_regrants(page, live_app):
    email = f"buyer-{uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Dana Download")
    sign_in(page, email)

    checkout_digital_to_review(page, email, "Dana Download", product=PRODUCT)
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    number = (
        page.get_by_role("heading", name=re.compile(r"order [A-Z]+-\d+$"))
        .inner_text()
        .split(" — order ")[1]
    )

    page.goto("/account/downloads")
    expect(page.get_by_role("heading", name="Your downloads")).to_be_visible()
    expect(page.get_by_role("heading", name=PRODUCT)).to_be_visible()
    expect(page.get_by_text(re.compile(r"GRIDLINE-DEMO-\d{4}"))).to_be_visible()
    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile(r"^gridline-mono-font.*\.zip$")).click()
    download = started.value
    assert download.suggested_filename.endswith(".zip")
    assert Path(download.path()).read_bytes()[:2] == b"PK"  # the ZIP the shop stored
    page.reload()
    expect(page.get_by_text("4 downloads left")).to_be_visible()

    # The shop's owner finds the line on the order page and gives access again.
    page.context.clear_cookies()  # signed out
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/shop/pixel-forge/admin/orders/")
    page.get_by_role("link", name=number).click()
    panel = page.get_by_role("region", name="Downloads and licence keys")
    expect(panel.get_by_text("downloaded 1 of 5")).to_be_visible()
    panel.locator("summary", has_text="Give access again").click()
    panel.get_by_role("button", name="Give access again").click()
    expect(page.get_by_text("access given again; the buyer is emailed their links")).to_be_visible()
    expect(panel.get_by_text("downloaded 0 of 5")).to_be_visible()
