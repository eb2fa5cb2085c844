"""Where ``/r/<code>?to=…`` may lead: only the mall's public origin (its scheme, hosts and
port) and its shops' hosts, anything else the home page (never an error, never off-site);
and the one normalised landing path that the redirect, the click record and the
dashboard's top pages all show."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from affiliates.models import Affiliate, AffiliateClick, AffiliateStatus
from affiliates.models.tracking import PATH_MAX
from affiliates.tracking import clicks
from affiliates.tracking.links import normal_path
from mall.extensions import db

AS_BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Firefox/130.0",
}


@pytest.fixture
def sunny(app_ctx) -> Affiliate:
    made = Affiliate(code="SUNNY-7", status=AffiliateStatus.APPROVED)
    db.session.add(made)
    db.session.commit()
    return made


def follow(client, to: str, **kwargs):
    return client.get("/r/SUNNY-7", query_string={"to": to}, headers=AS_BROWSER, **kwargs)


def landing_paths(affiliate: Affiliate) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AffiliateClick.landing_path)
            .where(AffiliateClick.affiliate_id == affiliate.id)
            .order_by(AffiliateClick.clicked_at)
        )
    )


# ---------------------------------------------------------------- the mall's origin only


@pytest.mark.parametrize(
    "to",
    [
        # Another port of the mall's own hosts (the public URL is http://mall.test).
        "http://mall.test:8081/",
        "http://mall.test:8081/shop/shop-a/",
        "http://www.mall.test:8080/search",
        "http://shop-a.mall.test:8443/products/thing",
        "http://mall.test:0/",
        "https://mall.test/",  # another scheme is another port (443)
        "https://shop-a.mall.test/products/thing",
        # Credentials, backslashes, scheme-relative, other schemes.
        "https://mall@evil.example/",
        "http://mall.test@evil.example/",
        "http://mall.test:80@evil.example/",
        "http://evil.example\\@mall.test/",
        "/\\evil.example",
        "\\/evil.example",
        "//evil.example",
        "///evil.example",
        "//mall.test:8081/",
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        # Encoded forms: what a decoding proxy would read as another host.
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "/%5Cevil.example",
        "/%2e%2e/%2fevil.example",
        "/x/%2E%2E/..%2F/%2F%2Fevil.example",
        "http://mall.test%40evil.example/",
        # Control characters and NUL bytes (encoded: raw ones are refused before any view).
        "/%00//evil.example",
        "http://mall.test/%00",
        "%00http://mall.test/",
        "/search%0d%0aLocation:%20https://evil.example",
        "/search\r\nLocation: https://evil.example",
        "/search\tx",
        # Very long values.
        "/" + "a" * 2000,
        "http://mall.test/" + "a" * 5000,
    ],
)
def test_anything_but_the_malls_origin_leads_home(client, sunny, shop_a, to):
    response = follow(client, to)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # The click still counts, as a visit to the home page.
    assert landing_paths(sunny) == ["/"]


@pytest.mark.parametrize("to", ["/\x00//evil.example", "\x00http://evil.example/"])
def test_a_raw_nul_byte_is_refused_before_the_link_with_a_message(client, sunny, to):
    """The whole mall answers 400 to a control character in a query (``mall.security``):
    no redirect anywhere, nothing recorded."""
    response = follow(client, to)
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)
    assert "Location" not in response.headers
    assert landing_paths(sunny) == []


def test_the_public_origins_own_port_and_a_shops_host_on_it_lead_there(client, sunny, shop_a):
    assert follow(client, "http://mall.test:80/search").headers["Location"] == (
        "http://mall.test:80/search"
    )
    assert follow(client, "http://shop-a.mall.test/products/thing").headers["Location"] == (
        "http://shop-a.mall.test/products/thing"
    )


def test_a_public_url_with_a_port_allows_that_port_only(app, client, sunny, shop_a):
    saved = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = "https://mall.test:8443"
    try:
        good = follow(client, "https://shop-a.mall.test:8443/products/thing")
        assert good.headers["Location"] == "https://shop-a.mall.test:8443/products/thing"
        for other in ("https://mall.test/", "http://mall.test:8443/", "https://mall.test:9000/"):
            assert follow(client, other).headers["Location"] == "/", other
    finally:
        app.config["PUBLIC_URL"] = saved


# ---------------------------------------------------------------- one normalised path


@pytest.mark.parametrize(
    ("to", "location", "recorded"),
    [
        ("/..//evil.example", "/evil.example", "/evil.example"),
        ("/../../evil.example/", "/evil.example/", "/evil.example/"),
        ("/shop/shop-a/./products/../", "/shop/shop-a/", "/shop/shop-a/"),
        ("/shop//shop-a///products/x", "/shop/shop-a/products/x", "/shop/shop-a/products/x"),
        ("/a/%2e%2E/search?q=tea", "/search?q=tea", "/search"),
        ("/search/.", "/search/", "/search/"),
        ("/search/x/..", "/search/", "/search/"),
        ("/..", "/", "/"),
        (
            "http://mall.test/a/../..//shop/shop-a/?x=1#top",
            "http://mall.test/shop/shop-a/?x=1#top",
            "/shop/shop-a/",
        ),
    ],
)
def test_the_redirect_and_the_click_say_the_same_normalised_page(
    client, sunny, to, location, recorded
):
    response = follow(client, to)
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert landing_paths(sunny) == [recorded]


@pytest.mark.parametrize(
    ("to", "location"),
    [
        ("/search?ref=OLD&q=tea", "/search?q=tea"),
        ("/search?q=tea&REF=OLD&ref=SUNNY-7", "/search?q=tea"),
        ("http://mall.test/search?ref=OLD", "http://mall.test/search"),
    ],
)
def test_a_ref_pasted_into_the_target_is_dropped(client, sunny, to, location):
    """The link's own affiliate is the one it records: an older ``ref`` carried along would
    credit another affiliate on the landing page, or count the visit twice."""
    response = follow(client, to)
    assert response.headers["Location"] == location
    assert len(landing_paths(sunny)) == 1


def test_the_shop_of_a_normalised_path_is_kept(client, sunny, shop_a):
    follow(client, "/x/../shop/shop-a/products/thing")
    db.session.expire_all()
    click = db.session.scalars(sa.select(AffiliateClick)).one()
    assert (click.landing_path, click.shop_id) == ("/shop/shop-a/products/thing", shop_a.id)


def test_a_long_path_is_cut_to_the_column_and_never_inside_an_escape(client, sunny):
    follow(client, "/" + "a" * (PATH_MAX - 3) + "%C3%A9tea")
    (path,) = landing_paths(sunny)
    assert path == "/" + "a" * (PATH_MAX - 3)
    assert len(path) <= PATH_MAX


def test_a_ref_landing_path_is_normalised_the_same_way(app_ctx, sunny):
    """What the ``?ref=`` hook records goes through the same function as ``/r/``."""
    for raw in ("/..//evil.example", "/evil.example\x00?q=1", "/\x1b[1mevil.example", "x/./y/"):
        assert clicks.record_click("SUNNY-7", path=raw) == sunny.id
    db.session.commit()
    assert sorted(landing_paths(sunny)) == [
        "/[1mevil.example",
        "/evil.example",
        "/evil.example",
        "/x/y/",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("/a//b/", "/a/b/"),
        ("a/b", "/a/b"),
        ("/a/./b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/%2E/a/.%2e/b", "/b"),
        ("/a/%2e%2ex", "/a/%2e%2ex"),  # not a dot segment
        ("/a\x00b\x7f/\x9bc", "/ab/c"),
    ],
)
def test_normal_path(raw, expected):
    assert normal_path(raw) == expected
    assert normal_path(expected) == expected  # once is enough
