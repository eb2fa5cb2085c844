"""Shop logos: checked by content, re-encoded as a clean PNG, stored under a random key."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from mall.storage import random_key, storage
from tenants.models import Tenant
from tenants.services import ShopError

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_BOX = (512, 512)
LOGO_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# Far above any real logo; refuses decompression bombs before decoding them.
MAX_LOGO_PIXELS = 40_000_000
LOGO_PREFIX = "logos/"


class LogoError(ShopError):
    """An uploaded logo that is not an accepted image, or too big."""


def process_logo(data: bytes) -> bytes:
    """Check an upload by content; re-encode it as a PNG of at most 512x512, without metadata."""
    if not data:
        raise LogoError("The logo file is empty.")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError("The logo is larger than 2 MB; please upload a smaller image.")
    refused = LogoError("The logo must be a PNG, JPEG, WebP or GIF image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as probe:
                probe.verify()
            # verify() leaves the image unusable: open it again to decode.
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
                if image.width * image.height > MAX_LOGO_PIXELS:
                    raise refused
                image.seek(0)  # the first frame of an animation
                return _encode_png(image)
    except LogoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refused from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        # Pillow reports truncated or malformed files through any of these.
        raise refused from None


def _encode_png(image: Image.Image) -> bytes:
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    # A fresh image from raw pixels carries no EXIF, ICC profile or text chunks.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store_logo(shop: Tenant, png: bytes) -> str:
    """Save a processed logo under a new random key of the shop; returns the key."""
    key = random_key(f"{LOGO_PREFIX}{shop.id}", ".png")
    storage().save(key, png)
    return key


def is_logo_key(key: str) -> bool:
    """True for keys the public media route may serve."""
    return key.startswith(LOGO_PREFIX) and key.endswith(".png")
