"""The link builder: any page of the mall as the affiliate's short link and ``?ref=`` link;
addresses off the mall are refused with a message, never turned into a link."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

import pytest

from affiliates.models import Affiliate, AffiliateStatus
from mall.extensions import db

LINKS = "/affiliates/links"


@pytest.fixture
def me(make_user, sign_in) -> Affiliate:
    user = make_user("sunny@example.com")
    sign_in(user)
    made = Affiliate(code="SUNNY", status=AffiliateStatus.APPROVED, user_id=user.id)
    db.session.add(made)
    db.session.commit()
    return made


def value_of(html: str, input_id: str) -> str:
    found = re.search(rf'<input[^>]*id="{input_id}"[^>]*value="([^"]*)"', html)
    assert found, input_id
    return htmllib.unescape(found.group(1))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_form_alone_builds_nothing(client, me):
    page = client.get(LINKS)
    assert page.status_code == 200
    html = text(page)
    assert 'label class="form-label" for="url">Page of the mall' in html
    assert 'id="built-links"' not in html


def test_a_path_gives_a_short_link_and_a_ref_link(client, me):
    html = text(client.get(LINKS, query_string={"url": "/search?q=green+tea&page=2"}))
    short = value_of(html, "short-link")
    assert short == "http://mall.test/r/SUNNY?to=%2Fsearch%3Fq%3Dgreen%2Btea%26page%3D2"
    assert value_of(html, "ref-link") == "http://mall.test/search?q=green+tea&page=2&ref=SUNNY"
    # The short link leads where the affiliate meant.
    followed = client.get(urlsplit(short)._replace(scheme="", netloc="").geturl())
    assert followed.status_code == 302
    assert followed.headers["Location"] == "/search?q=green+tea&page=2"


def test_an_address_of_a_shop_host_keeps_its_host_and_replaces_an_old_ref(client, me, shop_a):
    wanted = "http://shop-a.mall.test/products/teapot?ref=OLD#reviews"
    html = text(client.get(LINKS, query_string={"url": f"  {wanted} "}))
    assert value_of(html, "short-link").startswith("http://mall.test/r/SUNNY?to=http%3A%2F%2F")
    assert "OLD" not in value_of(html, "short-link")  # the short link drops the old ref too
    assert value_of(html, "ref-link") == "http://shop-a.mall.test/products/teapot?ref=SUNNY#reviews"
    assert value_of(html, "url") == wanted


def test_a_path_with_dot_segments_is_linked_as_the_page_it_names(client, me):
    html = text(client.get(LINKS, query_string={"url": "/shop/..//search/./?q=tea"}))
    assert value_of(html, "short-link") == "http://mall.test/r/SUNNY?to=%2Fsearch%2F%3Fq%3Dtea"
    assert value_of(html, "ref-link") == "http://mall.test/search/?q=tea&ref=SUNNY"
    assert "They lead to <code>/search/?q=tea</code>" in html
    assert value_of(html, "url") == "/shop/..//search/./?q=tea"  # what was typed stays


def test_another_port_of_the_mall_is_refused_naming_the_malls_address(client, me):
    page = client.get(LINKS, query_string={"url": "http://mall.test:8081/search"})
    assert page.status_code == 400
    assert "like http://mall.test/search" in text(page)


def test_the_home_page_link_needs_no_target(client, me):
    html = text(client.get(LINKS, query_string={"url": "/"}))
    assert value_of(html, "short-link") == "http://mall.test/r/SUNNY"
    assert value_of(html, "ref-link") == "http://mall.test/?ref=SUNNY"


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/shop",
        "//evil.example/",
        "javascript:alert(1)",
        "http://user@mall.test/",
        "http://mall.test:8081/",
        "https://mall.test/",
        "search",
        "   ",
        "/search?q=green tea",
        "/" + "a" * 2001,
    ],
)
def test_addresses_off_the_mall_are_refused_with_a_message(client, me, wanted):
    page = client.get(LINKS, query_string={"url": wanted})
    assert page.status_code == 400
    html = text(page)
    assert 'id="url-errors"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="built-links"' not in html
    assert "/r/SUNNY" not in html


def test_the_copy_buttons_wait_for_the_script(client, me):
    html = text(client.get(LINKS, query_string={"url": "/"}))
    assert html.count('data-copy="') == 2
    assert all("hidden" in button for button in re.findall(r"<button[^>]*data-copy[^>]*>", html))
    assert "js/copy-link.js" in html
