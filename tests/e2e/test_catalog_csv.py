"""A shop owner imports products from a CSV file and finds them in the back office."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in

CSV = (
    "handle,title,description,option1_name,option1_value,sku,price,stock,status\r\n"
    "trail-socks,Trail socks {suffix},Warm wool.,Size,S,TS-S,9.50,4,published\r\n"
    "trail-socks,,,,M,TS-M,9.50,6,\r\n"
)


def test_an_owner_imports_a_csv_file(page, live_app, tmp_path):
    suffix = uuid4().hex[:8]
    email, slug = f"seller-{suffix}@example.com", f"socks-{suffix}"
    make_person(live_app, email, name="Sam Seller", owns=(slug, f"Sock Shop {suffix}"))
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/catalog/csv/")
    expect(page.get_by_role("heading", name="Import and export products")).to_be_visible()
    expect(page.get_by_role("heading", name="File format")).to_be_visible()
    source = tmp_path / "socks.csv"
    source.write_text(CSV.format(suffix=suffix), encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(source))
    page.get_by_role("button", name="Import the file").click()

    expect(page).to_have_url(re.compile(rf"/shop/{slug}/admin/catalog/csv/imports/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", name="Import of socks.csv")).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("done")
    expect(page.locator("#import-result")).to_contain_text("1 product(s) created, 0 updated")
    expect(page.get_by_role("progressbar", name="Rows checked")).to_have_attribute(
        "aria-valuenow", "100"
    )

    page.get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("cell", name="socks.csv")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV file").click()
    assert download.value.suggested_filename == f"{slug}-catalog.csv"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"trail-socks,Trail socks {suffix},Warm wool." in exported
    assert "TS-M,9.50" in exported

    if "catalog_admin.products" in live_app.view_functions:
        page.goto(f"/shop/{slug}/admin/catalog/")
        expect(page.get_by_text(f"Trail socks {suffix}").first).to_be_visible()
