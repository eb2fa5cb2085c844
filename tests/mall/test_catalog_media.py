"""Product images (checked by content, re-encoded, thumbnails, public route) and digital files."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mall.catalog import jobs, media, services
from mall.catalog.models import DigitalFile, ProductImage, ProductKind
from mall.extensions import db
from mall.storage import storage
from tenants.context import tenant_context
from tenants.models import TenantStatus

CATALOG = "/shop/shop-a/admin/catalog"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def png_bytes(size=(1200, 900), mode="RGB", *, text: str | None = None, colour="teal") -> bytes:
    info = None
    if text:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def make_product(shop, title="Poster", *, kind=ProductKind.PHYSICAL):
    with tenant_context(shop):
        product = services.create_product(
            services.ProductInput(
                title=title,
                kind=kind,
                variants=[services.VariantInput(sku=services.slugify(title).upper(), price=900)],
            )
        )
        db.session.commit()
        return product.id, product.variants[0].id


def images_of(shop) -> list[ProductImage]:
    with tenant_context(shop):
        db.session.expire_all()
        rows = db.session.scalars(sa.select(ProductImage).order_by(ProductImage.position)).all()
        for row in rows:
            db.session.refresh(row)
        return list(rows)


def upload(client, product_id, data: bytes, filename="photo.png", alt="A poster"):
    return client.post(
        f"{CATALOG}/products/{product_id}/images/upload",
        data={"image": (io.BytesIO(data), filename), "alt_text": alt},
        content_type="multipart/form-data",
    )


# ---------------------------------------------------------------- uploads


def test_an_upload_is_re_encoded_stored_and_thumbnailed(client, shop_a, member_of_a, no_csrf):
    product_id, _ = make_product(shop_a)
    response = upload(client, product_id, png_bytes(text="secret location"))
    assert response.status_code == 302
    [image] = images_of(shop_a)
    assert image.storage_key.startswith(f"products/{shop_a.id}/")
    assert image.storage_key.endswith(".png")
    assert (image.width, image.height, image.alt_text) == (1200, 900, "A poster")
    stored = storage().open(image.storage_key)
    assert b"secret location" not in stored  # metadata is gone

    # The thumbnail job ran once the upload committed (inline without Redis).
    assert image.thumbnail_key and image.thumbnail_key.endswith(".webp")
    with Image.open(io.BytesIO(storage().open(image.thumbnail_key))) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (400, 300)
    page = client.get(f"{CATALOG}/products/{product_id}/images").get_data(as_text=True)
    assert 'alt="A poster"' in page and "thumbnail ready" in page
    preview = client.get(f"{CATALOG}/images/{image.id}/file?size=thumb")
    assert preview.status_code == 200 and preview.mimetype == "image/webp"


def test_jpeg_exif_is_stripped(client, shop_a, member_of_a, no_csrf):
    product_id, _ = make_product(shop_a)
    assert upload(client, product_id, jpeg_with_exif(), "cam.jpg").status_code == 302
    [image] = images_of(shop_a)
    assert image.content_type == "image/jpeg"
    stored = storage().open(image.storage_key)
    assert b"SecretCam" not in stored
    with Image.open(io.BytesIO(stored)) as reopened:
        assert not reopened.getexif()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.4 definitely not a picture", "renamed.png", "is not a PNG, JPEG, WebP or GIF"),
        (png_bytes((64, 64))[:60], "truncated.png", "is not a PNG, JPEG, WebP or GIF"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "vector.png", "is not a PNG"),
        (b"", "empty.png", "The image file is empty."),
    ],
)
def test_a_file_that_is_not_an_image_is_refused(
    client, shop_a, member_of_a, no_csrf, data, filename, message
):
    product_id, _ = make_product(shop_a)
    response = upload(client, product_id, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert images_of(shop_a) == []


def test_an_oversized_image_is_refused(client, shop_a, member_of_a, no_csrf):
    product_id, _ = make_product(shop_a)
    big = png_bytes((16, 16)) + b"\0" * media.MAX_IMAGE_BYTES
    # Encoded here: the test client would spool a body this large to an unclosed temp file.
    boundary, body = encode_multipart(
        {"image": FileStorage(io.BytesIO(big), filename="big.png", content_type="image/png")}
    )
    response = client.post(
        f"{CATALOG}/products/{product_id}/images/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "larger than 8 MB" in response.get_data(as_text=True)
    assert images_of(shop_a) == []


def test_an_image_of_too_many_pixels_is_refused(client, shop_a, member_of_a, no_csrf):
    product_id, _ = make_product(shop_a)
    huge = png_bytes((8000, 6000), mode="1")  # 48 megapixels, a few kilobytes
    response = upload(client, product_id, huge)
    assert response.status_code == 400
    assert "more than 40 megapixels" in response.get_data(as_text=True)


def test_the_thumbnail_job_makes_a_smaller_image(app_ctx, shop_a):
    product_id, _ = make_product(shop_a)
    with tenant_context(shop_a):
        product = services.get_product(product_id)
        image = media.add_image(product, png_bytes((2000, 1000), "RGBA", colour=(0, 128, 128, 100)))
        db.session.flush()
        jobs.make_thumbnail(str(image.id))
        original = storage().open(image.storage_key)
        thumbnail = storage().open(image.thumbnail_key)
    assert len(thumbnail) < len(original)
    with Image.open(io.BytesIO(thumbnail)) as thumb:
        assert thumb.size == (400, 200) and thumb.mode == "RGBA"


def test_alt_text_order_and_removal(client, shop_a, member_of_a, no_csrf):
    product_id, _ = make_product(shop_a)
    for alt in ("first", "second", "third"):
        assert upload(client, product_id, png_bytes((40, 40)), alt=alt).status_code == 302
    first, second, third = images_of(shop_a)
    response = client.post(
        f"{CATALOG}/images/{third.id}", data={"alt_text": "now first", "position": "1"}
    )
    assert response.status_code == 302
    assert [i.alt_text for i in images_of(shop_a)] == ["now first", "first", "second"]
    bad = client.post(f"{CATALOG}/images/{first.id}", data={"alt_text": "x", "position": "0"})
    assert bad.status_code == 400

    keys = (second.storage_key, second.thumbnail_key)
    assert client.post(f"{CATALOG}/images/{second.id}/delete").status_code == 302
    assert [(i.alt_text, i.position) for i in images_of(shop_a)] == [("now first", 0), ("first", 1)]
    for key in keys:  # the files went once the deletion was committed
        with pytest.raises(FileNotFoundError):
            storage().open(key)


def test_deleting_a_product_deletes_its_stored_files(client, shop_a, member_of_a, no_csrf):
    product_id, variant_id = make_product(shop_a, "Ebook", kind=ProductKind.DIGITAL)
    upload(client, product_id, png_bytes((40, 40)))
    upload_file(client, variant_id, b"chapter one")
    [image] = images_of(shop_a)
    with tenant_context(shop_a):
        file_key = db.session.scalar(sa.select(DigitalFile.storage_key))
    assert client.post(f"{CATALOG}/products/{product_id}/delete").status_code == 302
    for key in (image.storage_key, image.thumbnail_key, file_key):
        with pytest.raises(FileNotFoundError):
            storage().open(key)


# ---------------------------------------------------------------- the public route


def test_the_media_route_serves_this_shops_images_only(
    client, make_shop, shop_a, shop_b, member_of_a, no_csrf
):
    product_id, _ = make_product(shop_a)
    upload(client, product_id, png_bytes((40, 40)))
    [image] = images_of(shop_a)
    response = client.get(f"/shop/shop-a/media/{image.storage_key}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(f"/shop/shop-a/media/{image.thumbnail_key}").mimetype == "image/webp"
    # Another shop's path, on shop B's host, or made-up keys: nothing.
    assert client.get(f"/shop/shop-b/media/{image.storage_key}").status_code == 404
    for key in (
        f"products/{shop_a.id}/missing.png",
        f"products/{shop_a.id}/../../test.db",
        f"products/{shop_a.id}/{'0' * 32}.txt",
        f"digital/{shop_a.id}/{'0' * 32}",
        "logos/x.png",
    ):
        assert client.get(f"/shop/shop-a/media/{key}").status_code == 404, key


@pytest.mark.parametrize("status", [TenantStatus.PENDING, TenantStatus.CLOSED])
def test_the_media_route_answers_404_for_shops_not_open(app_ctx, client, make_shop, status):
    shop = make_shop("quiet", status=status)
    product_id, _ = make_product(shop)
    with tenant_context(shop):
        image = media.add_image(services.get_product(product_id), png_bytes((40, 40)))
        key = image.storage_key
        db.session.commit()
    assert client.get(f"/shop/quiet/media/{key}").status_code == 404


# ---------------------------------------------------------------- digital files


def upload_file(client, variant_id, data: bytes, filename="Guide ../Book<1>.pdf"):
    return client.post(
        f"{CATALOG}/variants/{variant_id}/files",
        data={"file": (io.BytesIO(data), filename, "application/pdf")},
        content_type="multipart/form-data",
    )


def files_of(shop) -> list[DigitalFile]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(db.session.scalars(sa.select(DigitalFile)))


def test_digital_files_are_stored_privately_with_their_details(
    client, shop_a, member_of_a, no_csrf
):
    product_id, variant_id = make_product(shop_a, "Ebook", kind=ProductKind.DIGITAL)
    content = b"%PDF-1.4 the whole book"
    assert upload_file(client, variant_id, content).status_code == 302
    [record] = files_of(shop_a)
    assert record.storage_key.startswith(f"digital/{shop_a.id}/")
    assert record.filename == "Book_1_.pdf"
    assert (record.size_bytes, record.content_type) == (len(content), "application/pdf")
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert storage().open(record.storage_key) == content
    page = client.get(f"{CATALOG}/products/{product_id}/files").get_data(as_text=True)
    assert "Book_1_.pdf" in page and record.sha256[:12] in page
    # No route serves digital files.
    assert client.get(f"/shop/shop-a/media/{record.storage_key}").status_code == 404

    key = record.storage_key
    assert client.post(f"{CATALOG}/files/{record.id}/delete").status_code == 302
    assert files_of(shop_a) == []
    with pytest.raises(FileNotFoundError):
        storage().open(key)


def test_files_are_for_digital_products_and_have_a_size_limit(
    client, shop_a, member_of_a, no_csrf, monkeypatch
):
    _, physical_variant = make_product(shop_a, "Mug")
    response = upload_file(client, physical_variant, b"x")
    assert response.status_code == 400
    assert "digital products only" in response.get_data(as_text=True)

    _, digital_variant = make_product(shop_a, "Ebook", kind=ProductKind.DIGITAL)
    monkeypatch.setattr(media, "MAX_FILE_BYTES", 10)
    response = upload_file(client, digital_variant, b"x" * 11)
    assert response.status_code == 400
    assert "larger than 200 MB" in response.get_data(as_text=True)
    assert upload_file(client, digital_variant, b"").status_code == 400
    assert files_of(shop_a) == []


def test_shop_a_cannot_touch_shop_bs_images_or_files(client, shop_a, shop_b, member_of_a, no_csrf):
    product_id, variant_id = make_product(shop_b, "Theirs", kind=ProductKind.DIGITAL)
    with tenant_context(shop_b):
        product = services.get_product(product_id)
        image = media.add_image(product, png_bytes((40, 40)))
        record = media.add_file(
            product.variants[0], b"secret", filename="a.pdf", content_type="application/pdf"
        )
        image_id, file_id = image.id, record.id
        db.session.commit()
    for method, path in (
        ("GET", f"/images/{image_id}/file"),
        ("POST", f"/images/{image_id}"),
        ("POST", f"/images/{image_id}/delete"),
        ("POST", f"/variants/{variant_id}/files"),
        ("POST", f"/files/{file_id}/delete"),
    ):
        response = client.open(CATALOG + path, method=method, data={"alt_text": "x", "position": 1})
        assert response.status_code == 404, path
    assert len(images_of(shop_b)) == 1 and len(files_of(shop_b)) == 1


def encoded(fmt: str, mode: str = "RGB", **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (300, 200), "purple" if mode != "P" else 3).save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "extension", "mode"),
    [
        (encoded("PNG", "P", transparency=0), ".png", "RGBA"),
        (encoded("GIF", "P"), ".png", "RGB"),
        (encoded("WEBP"), ".webp", "RGB"),
        (encoded("JPEG", "CMYK"), ".jpg", "RGB"),
        (encoded("PNG", "LA"), ".png", "RGBA"),
    ],
    ids=["png-palette-transparent", "gif", "webp", "jpeg-cmyk", "png-grey-alpha"],
)
def test_every_accepted_format_is_re_encoded(data, extension, mode):
    image = media.process_image(data)
    assert (image.extension, image.width, image.height) == (extension, 300, 200)
    with Image.open(io.BytesIO(image.data)) as reopened:
        assert reopened.mode == mode
        assert media.content_type_for(f"x{extension}") == Image.MIME[reopened.format]


def test_a_read_only_shop_shows_its_catalog_but_takes_no_changes(
    client, shop_a, member_of_a, no_csrf
):
    from tenants.services import set_status

    product_id, _ = make_product(shop_a)
    set_status(shop_a, TenantStatus.SUSPENDED)
    db.session.commit()
    for path in ("/", f"/products/{product_id}", f"/products/{product_id}/images"):
        page = client.get(CATALOG + path)
        assert page.status_code == 200
        assert "read-only" in page.get_data(as_text=True)
    assert upload(client, product_id, png_bytes((40, 40))).status_code == 403
    assert images_of(shop_a) == []
