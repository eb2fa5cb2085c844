"""CSV import pages and job: upload, progress, problems as reported, export, roles, tenancy."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mall.catalog import imports, jobs
from mall.catalog.models import CatalogImport, Category, ImportStatus, Product, StockMovement
from mall.extensions import db
from mall.jobs import run_job
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.catalog import make_import
from tests.mall.test_catalog_csv import (
    bad,
    csv_bytes,
    ebook_row,
    ensure_clothing,
    export,
    good_file,
    run,
    shirt_rows,
)

BASE = "/shop/shop-a/admin/catalog/csv"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(member_of_a, no_csrf, clothing):
    return member_of_a


@pytest.fixture
def clothing(app_ctx):
    return ensure_clothing()


def upload(client, data: bytes, filename: str = "catalog.csv"):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        f"{BASE}/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def the_import(shop) -> CatalogImport:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(CatalogImport)).one()


def count(shop, model) -> int:
    with tenant_context(shop):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- upload -> job -> page


def test_an_upload_is_imported_by_the_job_and_its_page_shows_the_result(client, shop_a, owner):
    response = upload(client, good_file())
    assert response.status_code == 302
    record = the_import(shop_a)
    assert response.headers["Location"].endswith(f"{BASE}/imports/{record.id}")
    assert record.status is ImportStatus.DONE
    assert (record.total_rows, record.processed_rows) == (4, 4)
    assert (record.created_products, record.updated_products) == (3, 0)
    assert record.storage_key.startswith(f"imports/{shop_a.id}/")
    assert record.created_by_id == owner.id
    assert count(shop_a, Product) == 3
    with tenant_context(shop_a):
        notes = set(db.session.scalars(sa.select(StockMovement.note)))
        assert notes == {"CSV import catalog.csv"}

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ">done<" in html and "3 product(s) created, 0 updated" in html
    assert 'aria-valuenow="100"' in html and "4 of 4 rows checked" in html
    assert 'http-equiv="refresh"' not in html

    index = client.get(f"{BASE}/").get_data(as_text=True)
    assert f"{BASE}/imports/{record.id}" in index and "catalog.csv" in index

    upload(client, good_file())  # the same file again: nothing changes
    with tenant_context(shop_a):
        done = db.session.scalars(
            sa.select(CatalogImport).order_by(CatalogImport.created_at.desc())
        ).first()
        assert (done.status, done.created_products, done.updated_products) == (
            ImportStatus.DONE,
            0,
            0,
        )
    assert "Nothing changed." in client.get(f"{BASE}/imports/{done.id}").get_data(as_text=True)


def test_a_bad_upload_fails_with_its_errors_and_imports_nothing(client, shop_a, owner):
    response = upload(client, csv_bytes(*bad(shirt_rows(), price="abc"), ebook_row()))
    record = the_import(shop_a)
    assert record.status is ImportStatus.FAILED
    assert record.errors == [
        {"row": 3, "column": "price", "message": "Enter an amount such as 12.50."}
    ]
    assert count(shop_a, Product) == 0 and count(shop_a, StockMovement) == 0
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ">failed<" in html and "Nothing in the catalog changed." in html
    assert "<td>3</td>" in html and "<code>price</code>" in html


@pytest.mark.parametrize(
    "data, problem",
    [
        (
            b"",
            {
                "row": 1,
                "column": "",
                "message": "The file is empty: it needs a header row and rows.",
            },
        ),
        (b"handle,title,sku,price\r\na,Caf\xe9,A,1\r\n", {"row": 2, "column": ""}),
        (b"handle,title,sku\r\na,A,A\r\n", {"row": 1, "column": "price"}),
    ],
    ids=["empty", "not utf-8", "missing column"],
)
def test_unreadable_uploads_fail_with_a_reason(client, shop_a, owner, data, problem):
    upload(client, data)
    record = the_import(shop_a)
    assert record.status is ImportStatus.FAILED and record.total_rows == 0
    assert len(record.errors) == 1 and problem.items() <= record.errors[0].items()


def test_validation_progress_is_committed_every_200_rows(client, shop_a, owner, monkeypatch):
    seen = []
    original = imports.save_progress

    def spy(record, done):
        seen.append(done)
        original(record, done)

    monkeypatch.setattr(imports, "save_progress", spy)
    rows = [ebook_row(handle=f"guide-{n:03d}", sku=f"G-{n:03d}") for n in range(450)]
    upload(client, csv_bytes(*rows))
    record = the_import(shop_a)
    assert seen == [200, 400]
    assert (record.status, record.total_rows, record.processed_rows) == (
        ImportStatus.DONE,
        450,
        450,
    )
    assert record.created_products == 450


def test_a_queued_import_page_refreshes_itself(client, shop_a, owner):
    with tenant_context(shop_a):
        record = CatalogImport(storage_key="imports/x/y.csv", filename="big.csv")
        record.total_rows, record.processed_rows = 1000, 250
        record.status = ImportStatus.RUNNING
        db.session.add(record)
        db.session.commit()
        import_id = record.id
    html = client.get(f"{BASE}/imports/{import_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert 'aria-valuenow="25"' in html and "250 of 1000 rows checked" in html


def test_running_a_finished_import_again_does_nothing(app, client, shop_a, owner):
    upload(client, good_file())
    record = the_import(shop_a)
    stamp, movements = record.updated_at, count(shop_a, StockMovement)
    run_job(jobs.run_import.job_ref, str(shop_a.id), str(record.id), app=app)
    again = the_import(shop_a)
    assert (again.status, again.updated_at) == (ImportStatus.DONE, stamp)
    assert count(shop_a, StockMovement) == movements


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"handle\n", "catalog.txt", "Only .csv files can be imported."),
        (b"x" * (10 * 1024 * 1024 + 1), "big.csv", "The file is larger than 10 MB."),
        (b"", "", "Choose a CSV file to import."),
    ],
    ids=["not csv", "too large", "no file"],
)
def test_uploads_that_are_refused(client, shop_a, owner, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(shop_a, CatalogImport) == 0


def test_the_export_downloads_the_shops_csv(client, shop_a, owner):
    upload(client, good_file())
    response = client.get(f"{BASE}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="shop-a-catalog.csv"'
    assert response.mimetype == "text/csv"
    with tenant_context(shop_a):
        assert response.data == export()


def test_the_index_documents_the_format(client, shop_a, owner):
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert "one row per variant" in html and "<code>low_stock_threshold</code>" in html
    assert "No file has been imported yet." in html


# ---------------------------------------------------------------- tenancy and roles


def test_another_shops_import_is_not_found(client, shop_a, shop_b, owner):
    theirs = make_import(shop_b)
    assert client.get(f"{BASE}/imports/{theirs}").status_code == 404
    assert client.get(f"/shop/shop-b/admin/catalog/csv/imports/{theirs}").status_code == 404


def test_an_import_never_touches_another_shops_products(client, shop_a, shop_b, owner):
    with tenant_context(shop_b):
        run(csv_bytes(*shirt_rows()))
    upload(client, csv_bytes(*shirt_rows(price="1.00", title="Ours")))
    assert the_import(shop_a).created_products == 1, the_import(shop_a).errors
    with tenant_context(shop_b):
        db.session.expire_all()
        theirs = db.session.scalars(sa.select(Product)).one()
        assert theirs.title == "Linen shirt" and theirs.price_min == 1250
        assert [v.stock_quantity for v in theirs.variants] == [5, 2]
    assert count(shop_b, StockMovement) == 2


def test_a_sales_rep_may_not_import_or_export(client, shop_a, make_user, sign_in, no_csrf):
    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    mine = make_import(shop_a)
    for path in (f"{BASE}/", f"{BASE}/export.csv", f"{BASE}/imports/{mine}"):
        assert client.get(path).status_code == 403, path
    assert upload(client, good_file()).status_code == 403
    assert count(shop_a, CatalogImport) == 1


def test_staff_may_import(client, shop_a, make_user, sign_in, no_csrf, clothing):
    staff = make_user("staff@example.com")
    db.session.add(Membership(user_id=staff.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(staff)
    assert upload(client, good_file()).status_code == 302
    assert the_import(shop_a).status is ImportStatus.DONE


# ---------------------------------------------------------------- each problem once (issue 8.16)


def garden_file(**on_rake_row: tuple[int, dict[str, str]]) -> bytes:
    """52 rows: 44 guides (rows 2-45), then a rake in 8 sizes (rows 46-53), category garden."""
    rows = [ebook_row(handle=f"guide-{n:02d}", sku=f"G-{n:02d}") for n in range(44)]
    rows += [
        {"handle": "rake", "title": "Rake", "category": "garden", "option1_name": "Size",
         "option1_value": size, "sku": f"RAKE-{size}", "price": "9.00"}
        for size in ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
    ]  # fmt: skip
    for line, changes in on_rake_row.values():
        rows[line - 2].update(changes)
    return csv_bytes(*rows)


@pytest.fixture
def in_a(shop_a, clothing):
    with tenant_context(shop_a):
        yield shop_a


@pytest.fixture
def garden(app_ctx):
    category = Category(name="Garden", slug="garden")
    db.session.add(category)
    db.session.commit()
    return category


def test_a_bad_category_is_reported_once_on_its_row(in_a, garden):
    data = garden_file(
        category=(46, {"category": "gardn"}),
        price=(50, {"price": "100000000000000000000"}),
    )
    errors, result = run(data)
    assert result is None
    assert [(e.row, e.column, e.message) for e in errors] == [
        (46, "category", "No category “gardn” in the mall."),
        (
            46,
            "category",
            "Rows 47 to 53 give another value (“garden”): the rows of a product repeat "
            "its first row's value or leave it empty.",
        ),
        (50, "price", "Enter an amount of at most $10,000,000,000.00."),
    ]


def test_a_later_row_that_differs_is_named_on_the_first_row(in_a, garden):
    errors, _ = run(garden_file(tags=(49, {"tags": "tools"}), other=(52, {"tags": "rakes"})))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (
            46,
            "tags",
            "Rows 49 and 52 give other values: the rows of a product repeat "
            "its first row's value or leave it empty.",
        )
    ]


def test_values_of_an_unnamed_option_are_reported_once(in_a, garden):
    rows = [{**row, "option1_name": ""} for row in shirt_rows()]
    errors, _ = run(csv_bytes(*rows))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (
            2,
            "option1_name",
            "Option 1 has no name, but rows 2 and 3 give it values: "
            "name it here or leave option1_value empty.",
        )
    ]


# ---------------------------------------------------------------- what the status page says (8.16)


def test_a_failed_import_says_how_many_rows_were_checked(client, shop_a, owner):
    rows = [ebook_row(handle=f"guide-{n:02d}", sku=f"G-{n:02d}") for n in range(51)]
    rows.append(ebook_row(handle="dear", sku="DEAR", price="100000000000000000000"))
    response = upload(client, csv_bytes(*rows))
    record = the_import(shop_a)
    assert (record.status, record.total_rows, record.processed_rows) == (
        ImportStatus.FAILED,
        52,
        52,
    )
    assert record.errors == [
        {"row": 53, "column": "price", "message": "Enter an amount of at most $10,000,000,000.00."}
    ]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "52 of 52 rows checked" in html and "0 of 52" not in html
    assert 'aria-valuenow="100"' in html
    assert "Problems <span" in html and "(1)" in html


def test_an_unreadable_file_says_no_row_was_checked(client, shop_a, owner):
    response = upload(client, b"handle,title,sku\r\na,A,A\r\n")
    record = the_import(shop_a)
    assert (record.status, record.processed_rows) == (ImportStatus.FAILED, 0)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No row was checked: the file cannot be read as it is." in html
    assert "rows checked" not in html and 'aria-valuenow="0"' in html


def test_a_price_past_32_bits_is_imported(client, shop_a, owner):
    upload(client, csv_bytes(ebook_row(price="30000000.00")))
    record = the_import(shop_a)
    assert record.status is ImportStatus.DONE, record.errors
    with tenant_context(shop_a):
        assert db.session.scalars(sa.select(Product)).one().price_min == 3_000_000_000
        assert "30000000.00" in export().decode()


def test_the_downloaded_export_quotes_formulas(client, shop_a, owner):
    upload(client, csv_bytes(ebook_row(title='=HYPERLINK("https://evil.example")')))
    body = client.get(f"{BASE}/export.csv").get_data(as_text=True)
    assert ',"\'=HYPERLINK(""https://evil.example"")",' in body
