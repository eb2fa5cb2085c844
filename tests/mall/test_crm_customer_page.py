"""The shop's customer page: what it says when there is no message yet, and tags in any
language (NFC, lower case, the same length caps)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from mall.crm.customers import parse_tags
from mall.crm.errors import CrmError
from tests.mall.test_crm_customers import customer_of, no_csrf, paid

__all__ = ["no_csrf"]  # a fixture used here


def test_tags_take_letters_of_any_language_once_in_nfc():
    decomposed = unicodedata.normalize("NFD", "Über-kunde")
    assert parse_tags(f"ÜNI-tag, {decomposed} über-kunde 東京 vip2") == (
        "üni-tag über-kunde 東京 vip2"
    )
    assert parse_tags("x" * 30) == "x" * 30
    for bad in ("x" * 31, "=cmd|calc", "-lead", "a_b", "ça!"):
        with pytest.raises(CrmError, match="not valid"):
            parse_tags(bad)
    with pytest.raises(CrmError, match="too long"):
        parse_tags(" ".join(f"ü{n:03}" + "x" * 20 for n in range(10)))


def test_the_page_says_no_message_yet_and_saves_accented_tags(
    app_ctx, client, shop_a, member_of_a, no_csrf
):
    paid(shop_a)
    customer = customer_of(shop_a, "carol@example.com")
    page = client.get(f"/shop/shop-a/admin/customers/{customer.id}").get_data(as_text=True)
    last_message = re.search(r"Last message</dt><dd[^>]*>(.*?)</dd>", page).group(1)
    assert last_message == "No message yet"
    url = f"/shop/shop-a/admin/customers/{customer.id}/notes"
    saved = client.post(url, data={"notes": "", "tags": "ÜNI-tag Stammkunde"})
    assert saved.status_code == 303
    page = client.get(f"/shop/shop-a/admin/customers/{customer.id}").get_data(as_text=True)
    assert "üni-tag stammkunde" in page
