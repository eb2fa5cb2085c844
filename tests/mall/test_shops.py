"""Member shops: registration, logos, settings, the shop lists of the account pages."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mall.extensions import db
from mall.shops import services
from mall.shops.models import Membership, Role
from mall.storage import LocalStorage, StorageKeyInvalid, check_key, storage
from tenants.keys.masking import mask_email
from tenants.models import PlatformSetting, Tenant, TenantStatus
from tests.support.mail import clear_outbox, link_in, sent_to, text_of


@pytest.fixture(autouse=True)
def empty_outbox(app):
    clear_outbox(app)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def founder(make_user, sign_in):
    user = make_user("founder@example.com", name="Fay Founder")
    sign_in(user)
    return user


def png_bytes(size=(800, 600), mode="RGB", *, text: str | None = None) -> bytes:
    image = Image.new(mode, size, "teal")
    out = io.BytesIO()
    info = None
    if text:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def open_shop(client, slug="green-thumb", *, logo: bytes | None = None, filename="logo.png", **kw):
    data = {
        "name": kw.pop("name", "Green Thumb"),
        "slug": slug,
        "description": kw.pop("description", "Seeds and tools."),
        "contact_email": kw.pop("contact_email", "hello@green-thumb.example"),
        **kw,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post("/shops/new", data=data, content_type="multipart/form-data")


def shop_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


# ---------------------------------------------------------------- registration


def test_a_new_shop_is_pending_owned_by_its_founder_and_welcomed(app, client, founder, no_csrf):
    response = open_shop(client)
    assert response.status_code == 302
    assert response.location.endswith("/shop/green-thumb/admin/")

    shop = shop_by_slug("green-thumb")
    assert shop.status is TenantStatus.PENDING
    assert shop.contact_email == "hello@green-thumb.example"
    assert b"green-thumb.example" not in shop.contact_email_ct  # sealed at rest
    membership = db.session.scalar(sa.select(Membership).where(Membership.tenant_id == shop.id))
    assert (membership.user_id, membership.role) == (founder.id, Role.OWNER)

    [welcome] = sent_to(app, "founder@example.com")
    assert "Green Thumb" in welcome["Subject"]
    assert "reviews every new shop" in text_of(welcome)
    assert link_in(welcome, "/admin/") == "/shop/green-thumb/admin/"

    page = client.get(response.location).get_data(as_text=True)
    assert "waiting for approval" in page


def test_auto_approval_opens_the_shop_at_once(app, client, founder, no_csrf):
    db.session.add(PlatformSetting(key=services.AUTO_APPROVE_KEY, value=True))
    db.session.commit()
    assert services.auto_approve_enabled() is True

    assert open_shop(client).status_code == 302
    assert shop_by_slug("green-thumb").status is TenantStatus.ACTIVE
    [welcome] = sent_to(app, "founder@example.com")
    assert "open to customers now" in text_of(welcome)


@pytest.mark.parametrize("value", [None, False, "no", 0])
def test_auto_approval_is_off_unless_switched_on(app_ctx, value):
    assert services.auto_approve_enabled() is False  # no setting at all
    if value is not None:
        db.session.add(PlatformSetting(key=services.AUTO_APPROVE_KEY, value=value))
        db.session.commit()
        assert services.auto_approve_enabled() is False


def test_unverified_users_cannot_open_a_shop(client, make_user, sign_in, no_csrf):
    sign_in(make_user("unverified@example.com", verified=False))
    response = open_shop(client)
    assert response.status_code == 302
    assert response.location.endswith("/account/")
    assert shop_by_slug("green-thumb") is None


def test_anonymous_visitors_are_sent_to_sign_in(client, app_ctx):
    response = client.get("/shops/new")
    assert response.status_code == 302
    assert "/account/login" in response.location
    assert "next=" in response.location


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("admin", "is reserved"),
        ("Not A Slug!", "lower-case letters"),
        ("ab", "lower-case letters"),
        ("shop-a", "is taken"),
    ],
)
def test_bad_slugs_are_refused_with_a_message(client, founder, shop_a, no_csrf, slug, message):
    response = open_shop(client, slug)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0


def test_a_double_submit_creates_one_shop(client, founder, no_csrf):
    assert open_shop(client).status_code == 302
    second = open_shop(client)
    assert second.status_code == 400
    assert "is taken" in second.get_data(as_text=True)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Tenant))
    assert count == 1
    memberships = db.session.scalar(sa.select(sa.func.count()).select_from(Membership))
    assert memberships == 1


def test_losing_the_slug_race_is_a_form_error_not_a_500(
    client, founder, shop_a, no_csrf, monkeypatch
):
    def create_without_checking(slug, *, name, description, status):
        # What a concurrent request sees: the check passed, then the insert collides.
        shop = Tenant(slug=slug, name=name, description=description, status=status)
        db.session.add(shop)
        db.session.flush()
        return shop

    monkeypatch.setattr(services, "create_shop", create_without_checking)
    response = open_shop(client, "shop-a")
    assert response.status_code == 400
    assert "is taken" in response.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client, founder):
    response = open_shop(client)
    assert response.status_code == 400
    assert shop_by_slug("green-thumb") is None


# ---------------------------------------------------------------- logos


def test_a_real_png_is_reencoded_stored_and_served(client, founder, no_csrf):
    response = open_shop(client, logo=png_bytes(text="secret metadata"))
    assert response.status_code == 302
    shop = shop_by_slug("green-thumb")
    assert shop.logo_path.startswith(f"logos/{shop.id}/")
    assert shop.logo_path.endswith(".png")

    served = client.get(f"/media/{shop.logo_path}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG"
    assert image.size == (512, 384)  # at most 512x512, aspect kept
    assert "Comment" not in image.info
    assert b"secret metadata" not in served.data


def test_jpeg_with_exif_is_accepted_without_its_metadata(client, founder, no_csrf):
    image = Image.new("RGB", (100, 50), "orange")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert open_shop(client, logo=out.getvalue(), filename="photo.jpg").status_code == 302
    stored = storage().open(shop_by_slug("green-thumb").logo_path)
    assert b"SecretCam" not in stored
    assert Image.open(io.BytesIO(stored)).size == (100, 50)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_gif_and_webp_are_accepted(client, founder, no_csrf, fmt):
    image = Image.new("P", (40, 20), 1)
    image.info["transparency"] = 0
    out = io.BytesIO()
    image.save(out, format=fmt)
    assert open_shop(client, logo=out.getvalue(), filename=f"logo.{fmt.lower()}").status_code == 302
    stored = Image.open(io.BytesIO(storage().open(shop_by_slug("green-thumb").logo_path)))
    assert (stored.format, stored.size) == ("PNG", (40, 20))


def test_a_text_file_named_png_is_refused(client, founder, no_csrf):
    response = open_shop(client, logo=b"just some text, honestly a PNG", filename="logo.png")
    assert response.status_code == 400
    assert "must be a PNG, JPEG, WebP or GIF" in response.get_data(as_text=True)
    assert shop_by_slug("green-thumb") is None


def test_an_svg_is_refused(client, founder, no_csrf):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = open_shop(client, logo=svg, filename="logo.svg")
    assert response.status_code == 400
    assert "must be a PNG, JPEG, WebP or GIF" in response.get_data(as_text=True)


def test_an_oversized_logo_is_refused(client, founder, no_csrf):
    big = png_bytes((16, 16)) + b"\0" * (2 * 1024 * 1024)
    # Encoded here: the test client would spool a body this large to an unclosed temp file.
    boundary, body = encode_multipart(
        {
            "name": "Green Thumb",
            "slug": "green-thumb",
            "logo": FileStorage(io.BytesIO(big), filename="big.png", content_type="image/png"),
        }
    )
    response = client.post(
        "/shops/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert "larger than 2 MB" in response.get_data(as_text=True)
    assert shop_by_slug("green-thumb") is None


@pytest.mark.parametrize(
    "key", ["logos/missing.png", "secrets/a.png", "logos/../test.db", "logos/x.txt"]
)
def test_media_serves_only_stored_logos(client, app_ctx, key):
    assert client.get(f"/media/{key}").status_code == 404


def test_storage_refuses_keys_that_leave_its_root(tmp_path):
    store = LocalStorage(tmp_path / "files")
    for key in ("../x", "a/../../x", "/etc/passwd", "a//b", ".hidden", "", "a\\..\\b"):
        with pytest.raises(StorageKeyInvalid):
            store.save(key, b"x")
    store.save("logos/1/a.png", b"data")
    assert store.open("logos/1/a.png") == b"data"
    store.delete("logos/1/a.png")
    store.delete("logos/1/a.png")  # twice is fine
    with pytest.raises(FileNotFoundError):
        store.open("logos/1/a.png")
    assert check_key("logos/abc/def.png") == "logos/abc/def.png"


# ---------------------------------------------------------------- settings


@pytest.fixture
def owned_shop(client, founder, no_csrf):
    assert open_shop(client).status_code == 302
    return shop_by_slug("green-thumb")


def test_settings_change_the_shop(client, owned_shop):
    page = client.get("/shop/green-thumb/admin/settings")
    assert page.status_code == 200
    assert "hello@green-thumb.example" in page.get_data(as_text=True)
    response = client.post(
        "/shop/green-thumb/admin/settings",
        data={
            "name": "Green Thumb & Co",
            "description": "Now with bulbs.",
            "contact_email": "shop@green-thumb.example",
            "policies": "Returns within 30 days.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    shop = shop_by_slug("green-thumb")
    assert shop.name == "Green Thumb & Co"
    assert shop.description == "Now with bulbs."
    assert shop.policies == "Returns within 30 days."
    assert shop.contact_email == "shop@green-thumb.example"


def test_settings_replace_the_logo_and_delete_the_old_file(client, owned_shop):
    def post(**extra):
        data = {"name": "Green Thumb", "description": "", "contact_email": "", "policies": ""}
        return client.post(
            "/shop/green-thumb/admin/settings",
            data={**data, **extra},
            content_type="multipart/form-data",
        )

    assert post(logo=(io.BytesIO(png_bytes((64, 64))), "a.png")).status_code == 302
    db.session.expire_all()
    first = shop_by_slug("green-thumb").logo_path
    assert post(logo=(io.BytesIO(png_bytes((32, 32))), "b.png")).status_code == 302
    db.session.expire_all()
    second = shop_by_slug("green-thumb").logo_path
    assert second != first
    assert client.get(f"/media/{first}").status_code == 404
    assert client.get(f"/media/{second}").status_code == 200

    assert post(remove_logo="y").status_code == 302
    db.session.expire_all()
    assert shop_by_slug("green-thumb").logo_path is None
    assert client.get(f"/media/{second}").status_code == 404


def test_settings_refuse_a_bad_logo_and_a_missing_name(client, owned_shop):
    bad = client.post(
        "/shop/green-thumb/admin/settings",
        data={"name": "Green Thumb", "logo": (io.BytesIO(b"GIF89a nope"), "x.gif")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "must be a PNG" in bad.get_data(as_text=True)
    missing = client.post("/shop/green-thumb/admin/settings", data={"name": ""})
    assert missing.status_code == 400
    assert "Enter the shop&#39;s name." in missing.get_data(as_text=True)


# ---------------------------------------------------------------- shop lists and masking


def test_the_account_page_and_menu_list_my_shops(client, owned_shop, count_queries):
    with count_queries() as queries:
        page = client.get("/account/").get_data(as_text=True)
    assert sum("FROM memberships" in statement for statement in queries.statements) == 1
    assert "Your shops" in page
    assert 'href="/shop/green-thumb/admin/"' in page
    assert "Owner · Waiting for approval" in page
    assert page.count('href="/shops/new"') == 2  # the menu and the account section


def test_my_shops_is_one_query(app_ctx, make_user, make_shop, count_queries):
    user = make_user()
    for n in range(3):
        shop = make_shop(f"mine-{n}")
        db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=Role.STAFF))
    db.session.commit()
    user_id = user.id
    db.session.expire_all()
    with count_queries() as queries:
        names = [m.tenant.name for m in services.my_shops(user_id)]
    assert len(names) == 3
    assert queries.count == 1


def test_anonymous_pages_do_not_query_my_shops(client, app_ctx, count_queries):
    with count_queries() as queries:
        assert client.get("/privacy").status_code == 200
    assert not any("memberships" in statement for statement in queries.statements)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("ada@example.com", "a***@example.com"),
        ("A@b.org", "A***@b.org"),
        ("[erased]", "[erased]"),
        ("", ""),
        ("not-an-email", "***"),
    ],
)
def test_mask_email(value, masked):
    assert mask_email(value) == masked
