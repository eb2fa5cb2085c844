"""The address step's saved addresses: each shown with its name first, the account's default
chosen for a checkout that has no address yet (a new address otherwise)."""

from __future__ import annotations

import re

from mall.accounts.address_book import add_address
from mall.accounts.addresses import PostalAddress
from mall.extensions import db
from tests.mall.test_checkout_signed_in import acme, customer, no_csrf
from tests.support.shopping import ADDRESS, add_to_cart

__all__ = ["acme", "customer", "no_csrf"]  # fixtures used here


def paris(name: str) -> PostalAddress:
    return PostalAddress(
        name=name, line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR"
    )


def checked(page: str) -> list[str]:
    """The labels of the checked saved-address radios."""
    return re.findall(r'<input[^>]*name="saved"[^>]*checked>\s*<label[^>]*>([^<]*)</label>', page)


def test_saved_addresses_show_names_and_the_default_is_chosen(client, acme, customer, no_csrf):
    add_address(customer, paris("Ada Lovelace"), make_default=True)
    add_address(customer, paris("Bob Martin"))
    db.session.commit()
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    page = client.get("/checkout/address").get_data(as_text=True)
    assert "Ada Lovelace, 1 Rue de la Paix, 75002 Paris, France" in page
    assert "Bob Martin, 1 Rue de la Paix, 75002 Paris, France" in page
    assert checked(page) == ["Ada Lovelace, 1 Rue de la Paix, 75002 Paris, France"]
    # Once the checkout holds an address the customer typed, that one stays chosen.
    assert client.post("/checkout/address", data={**ADDRESS, "saved": ""}).status_code == 303
    again = client.get("/checkout/address").get_data(as_text=True)
    assert checked(again) == ["A new address (below)"]
    assert 'value="12 Marylebone Road"' in again


def test_without_a_default_a_new_address_is_chosen(client, acme, customer, no_csrf):
    add_address(customer, paris("Ada Lovelace"))
    db.session.commit()
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    page = client.get("/checkout/address").get_data(as_text=True)
    assert checked(page) == ["A new address (below)"]


def test_a_new_address_typed_under_a_chosen_saved_one_is_kept_and_asked_about(
    client, acme, customer, no_csrf
):
    add_address(customer, paris("Ada Lovelace"), make_default=True)
    db.session.commit()
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    page = client.get("/checkout/address").get_data(as_text=True)
    saved_value = re.search(r'name="saved"[^>]*value="([^"]+)"', page).group(1)
    # The default stays chosen while the customer types another address below.
    response = client.post("/checkout/address", data={**ADDRESS, "saved": saved_value})
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    assert "You typed a new address while a saved one is chosen" in shown
    assert 'value="12 Marylebone Road"' in shown  # nothing typed is lost
    # Choosing the saved one with nothing typed goes on.
    response = client.post("/checkout/address", data={"billing_same": "y", "saved": saved_value})
    assert response.status_code == 303
