"""Product images and digital files: uploads checked by content, stored under the shop's prefix.

Images live under ``products/<tenant id>/`` (served publicly by
``views``), re-encoded from their pixels so that no metadata survives;
thumbnails are made by a job. Digital files live under ``digital/<tenant id>/``,
which no route serves. Stored files of deleted rows go once the deletion is
committed (a job), so a rolled-back deletion never loses a file.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
import unicodedata
import warnings
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from mall.catalog import jobs
from mall.catalog.errors import CatalogError
from mall.catalog.models import DigitalFile, Product, ProductImage, ProductKind, Variant
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.storage import random_key, storage
from tenants.context import current_tenant_id

MAX_IMAGE_BYTES = 8 * 1024 * 1024
# Far above any product photo; refuses decompression bombs before decoding them.
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
THUMBNAIL_BOX = (400, 400)
# The request body limit (MAX_CONTENT_LENGTH, 32 MB) refuses larger uploads first.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ALT_TEXT = 300
IMAGE_PREFIX = "products"
FILE_PREFIX = "digital"
CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}
_PUBLIC_KEY = re.compile(r"^products/([0-9a-f-]{36})/[0-9a-f]{32}\.(png|jpg|webp)$")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


class MediaError(CatalogError):
    """An upload that cannot be stored; the message says why and is shown as it is."""


@dataclass(frozen=True)
class EncodedImage:
    """Pixels re-encoded for storage."""

    data: bytes
    extension: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        """The MIME type of the encoding."""
        return CONTENT_TYPES[self.extension]


def read_upload(upload: object, limit: int) -> bytes | None:
    """An uploaded file's bytes (at most one byte over ``limit``), or None when none was sent."""
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    return upload.stream.read(limit + 1)


# ---------------------------------------------------------------- images


def process_image(data: bytes) -> EncodedImage:
    """Check an upload by content and re-encode it without metadata (PNG, JPEG or WebP)."""
    if not data:
        raise MediaError("The image file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise MediaError("The image is larger than 8 MB; please upload a smaller one.")
    refused = MediaError("The file is not a PNG, JPEG, WebP or GIF image.")
    too_big = MediaError("The image has more than 40 megapixels; please upload a smaller one.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as probe:
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise too_big
                probe.verify()
            # verify() leaves the image unusable: open it again to decode.
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                image.seek(0)  # the first frame of an animation
                return _encode(image, image.format or "PNG")
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        # Pillow reports unknown, truncated or malformed files through any of these.
        raise refused from None


def make_thumbnail(data: bytes) -> EncodedImage:
    """A stored image shrunk to fit 400x400, as WebP."""
    with Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "WEBP")) as image:
        image.load()
        image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
        return _encode(image, "WEBP")


def _encode(image: Image.Image, source_format: str) -> EncodedImage:
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    # JPEG keeps no alpha; GIF palettes become PNG (lossless, widely shown).
    mode = "RGBA" if has_alpha else "RGB"
    options: dict[str, object]
    if source_format == "JPEG":
        mode, fmt, extension, options = "RGB", "JPEG", ".jpg", {"quality": 90}
    elif source_format == "WEBP":
        fmt, extension, options = "WEBP", ".webp", {"quality": 85}
    else:
        fmt, extension, options = "PNG", ".png", {"optimize": True}
    image = image.convert(mode)
    # A fresh image from raw pixels carries no EXIF, ICC profile, XMP or text chunks.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format=fmt, **options)
    return EncodedImage(out.getvalue(), extension, clean.width, clean.height)


def image_prefix(tenant_id: UUID | str) -> str:
    """Where a shop's product images are stored."""
    return f"{IMAGE_PREFIX}/{tenant_id}"


def is_public_key(key: str, tenant_id: UUID | str) -> bool:
    """True for a product image (or thumbnail) key of this shop: the only keys served publicly."""
    match = _PUBLIC_KEY.match(key)
    return match is not None and match.group(1) == str(tenant_id)


def content_type_for(key: str) -> str:
    """The content type of a stored image, from the extension the app gave it."""
    return CONTENT_TYPES.get(key[key.rfind(".") :], "application/octet-stream")


def store_image(tenant_id: UUID | str, encoded: EncodedImage) -> str:
    """Save encoded pixels under the shop's image prefix; returns the new key."""
    key = random_key(image_prefix(tenant_id), encoded.extension)
    storage().save(key, encoded.data)
    return key


def store_thumbnail(image: ProductImage) -> None:
    """Make and record an image's thumbnail (unless made already, or its file is gone)."""
    if image.thumbnail_key:
        return  # made by an earlier run
    try:
        data = storage().open(image.storage_key)
    except FileNotFoundError:
        return
    image.thumbnail_key = store_image(image.tenant_id, make_thumbnail(data))


def add_image(product: Product, data: bytes, *, alt_text: str = "") -> ProductImage:
    """Check, re-encode and store an image of ``product`` (last in order); thumbnail by a job."""
    encoded = process_image(data)
    key = store_image(product.tenant_id, encoded)
    last = db.session.scalar(
        sa.select(sa.func.max(ProductImage.position)).where(ProductImage.product_id == product.id)
    )
    image = ProductImage(
        product_id=product.id,
        storage_key=key,
        content_type=encoded.content_type,
        width=encoded.width,
        height=encoded.height,
        alt_text=alt_text.strip()[:MAX_ALT_TEXT],
        position=0 if last is None else last + 1,
    )
    db.session.add(image)
    db.session.flush()
    enqueue_after_commit(jobs.make_thumbnail, image.id)
    return image


def update_image(image: ProductImage, *, alt_text: str, position: int) -> None:
    """Change an image's alt text and move it to ``position`` (1 = first) among its product's."""
    image.alt_text = alt_text.strip()[:MAX_ALT_TEXT]
    others = [i for i in _images_of(image.product_id) if i.id != image.id]
    index = max(0, min(position - 1, len(others)))
    others.insert(index, image)
    for n, item in enumerate(others):
        item.position = n
    db.session.flush()


def delete_image(image: ProductImage) -> None:
    """Remove an image; its stored files go once the deletion is committed."""
    product_id = image.product_id
    forget_stored([image.storage_key, image.thumbnail_key])
    db.session.delete(image)
    db.session.flush()
    for n, item in enumerate(_images_of(product_id)):
        item.position = n
    db.session.flush()


def _images_of(product_id: UUID) -> list[ProductImage]:
    return list(
        db.session.scalars(
            sa.select(ProductImage)
            .where(ProductImage.product_id == product_id)
            .order_by(ProductImage.position, ProductImage.created_at, ProductImage.id)
        )
    )


# ---------------------------------------------------------------- digital files


def sanitise_filename(name: str | None) -> str:
    """A name safe to show and to offer for download: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        keep = dot and stem and len(extension) <= 16
        name = f"{stem[: 199 - len(extension)]}.{extension}" if keep else name[:200]
    return name or "download"


def guess_content_type(filename: str, declared: str | None) -> str:
    """The browser's declared type when well-formed, else a guess from the name."""
    declared = (declared or "").split(";")[0].strip().lower()
    if declared and len(declared) <= 100 and _CONTENT_TYPE.match(declared):
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def add_file(variant: Variant, data: bytes, *, filename: str, content_type: str) -> DigitalFile:
    """Store a file for buyers of a digital ``variant`` (never under a public path)."""
    if variant.product.kind is not ProductKind.DIGITAL:
        raise MediaError("Files can be added to digital products only.")
    if not data:
        raise MediaError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise MediaError("The file is larger than 200 MB.")
    name = sanitise_filename(filename)
    key = random_key(f"{FILE_PREFIX}/{variant.tenant_id}", "")
    storage().save(key, data)
    record = DigitalFile(
        variant_id=variant.id,
        storage_key=key,
        filename=name,
        content_type=guess_content_type(name, content_type),
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(record)
    db.session.flush()
    return record


def delete_file(record: DigitalFile) -> None:
    """Remove a digital file; the stored bytes go once the deletion is committed."""
    forget_stored([record.storage_key])
    db.session.delete(record)
    db.session.flush()


# ---------------------------------------------------------------- clean-up


def stored_keys(product: Product) -> list[str]:
    """Every stored file of a product: images, thumbnails, digital files (two queries)."""
    images = db.session.execute(
        sa.select(ProductImage.storage_key, ProductImage.thumbnail_key).where(
            ProductImage.product_id == product.id
        )
    ).all()
    files = db.session.scalars(
        sa.select(DigitalFile.storage_key)
        .join(
            Variant,
            sa.and_(
                Variant.tenant_id == DigitalFile.tenant_id, Variant.id == DigitalFile.variant_id
            ),
        )
        .where(Variant.product_id == product.id)
    ).all()
    return [key for row in images for key in row if key] + list(files)


def forget_stored(keys: list[str | None]) -> None:
    """Delete these stored files once the current transaction commits."""
    for key in keys:
        if key:
            enqueue_after_commit(jobs.delete_stored_file, key)


def delete_stored(key: str) -> None:
    """Delete a stored product image or digital file of the shop in context (never another's)."""
    tenant_id = current_tenant_id()
    # A key is an id here, but never trust it to point at another shop's files.
    prefixes = (f"{IMAGE_PREFIX}/{tenant_id}/", f"{FILE_PREFIX}/{tenant_id}/")
    if tenant_id is not None and key.startswith(prefixes):
        storage().delete(key)


def human_size(size: int) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns
