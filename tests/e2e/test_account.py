"""A customer signs in, buys from two shops in one checkout, finds both orders in their account,
opens one's tracking page and keeps an address book; a visitor writes to the operator, who reads
the message in the console.

The live server is the demo mall (test payments on; every demo shop ships to the UK).
"""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.e2e.test_checkout import add_from, fill_address

SHOPS = {"green-thumb": "Green Thumb Garden Supply", "paper-lantern": "Paper Lantern Books"}


def buy_from_two_shops(page) -> dict[str, str]:
    """Sweet Basil and a book, paid by the test provider; {shop name: order number}."""
    add_from(page, "green-thumb", "Sweet Basil")
    add_from(page, "paper-lantern", "Haiku for Rainy Days")
    page.get_by_role("link", name="Checkout").click()
    # Signed in: the account's email is the contact, checkout starts at the address.
    expect(page.get_by_role("heading", name="Address")).to_be_visible()
    fill_address(page)
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label(re.compile("^Test payment")).check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    numbers = page.get_by_role("heading", name=re.compile(r"order [A-Z]+-\d+$")).all_inner_texts()
    return {text.split(" — order ")[0]: text.split(" — order ")[1] for text in numbers}


def test_a_customer_sees_orders_from_two_shops_tracks_one_and_adds_an_address(
    page, live_app, request, live_server
):
    # The refused address answers 400 (the form again, with its messages): expected here.
    request.node.add_marker(pytest.mark.expect_http_error(f"{live_server}/account/addresses/new"))
    email = f"shopper-{uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Sam Shopper")
    sign_in(page, email)
    placed = buy_from_two_shops(page)
    assert set(placed) == set(SHOPS.values()), placed

    page.goto("/account/")
    page.get_by_role("link", name="Your orders").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    for shop, number in placed.items():
        expect(page.get_by_text(shop, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=f"Track order {number}")).to_be_visible()
        expect(page.get_by_role("link", name=f"Invoice of order {number}")).to_be_visible()
    # One checkout holding both shops' orders.
    expect(page.locator("section.card")).to_have_count(1)

    number = placed["Paper Lantern Books"]
    page.get_by_role("link", name=f"Track order {number}").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()

    page.goto("/account/")
    page.get_by_role("link", name="Your addresses").click()
    expect(page.get_by_text("No saved addresses yet")).to_be_visible()
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Full name").fill("Sam Shopper")
    page.get_by_label("Street address").fill("1 Rue de Rivoli")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Postal code").fill("75001")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Offer this address first at checkout").check()
    page.get_by_role("button", name="Save the address").click()
    expect(page.get_by_text("The address is in your address book.")).to_be_visible()
    expect(page.get_by_text("1 Rue de Rivoli")).to_be_visible()
    expect(page.get_by_text("Default", exact=True)).to_be_visible()

    # A bad postal code is named, with the rest kept.
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Full name").fill("Sam Shopper")
    page.get_by_label("Street address").fill("1600 Amphitheatre Parkway")
    page.get_by_label("City").fill("Mountain View")
    page.get_by_label("Postal code").fill("ABCDE")
    page.get_by_label("State, province or region").fill("CA")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Save the address").click()
    expect(
        page.get_by_text("ABCDE is not a valid ZIP code in United States (for example 95014).")
    ).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Mountain View")
    page.get_by_role("link", name="Cancel").click()

    page.get_by_role("link", name=re.compile("^Delete")).click()
    expect(page.get_by_role("heading", name="Delete this address?")).to_be_visible()
    page.get_by_role("button", name="Delete the address").click()
    expect(page.get_by_text("The address is deleted from your address book.")).to_be_visible()


def test_a_visitor_writes_to_the_operator_who_reads_it_in_the_console(page, live_app):
    page.goto("/privacy")
    page.get_by_role("link", name="secure contact form").click()
    expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
    page.get_by_label("Your name").fill("Vera Visitor")
    page.get_by_label("Your email address (for our answer)").fill("vera@example.com")
    page.get_by_label("Your message").fill("Please correct the spelling of my name.")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("your message is with us")).to_be_visible()

    # The operator reads it in the console's inbox and marks it handled.
    operator = f"operator-{uuid4().hex[:8]}@example.com"
    make_person(live_app, operator, name="Olga Operator", operator=True)
    sign_in(page, operator)
    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Messages"
    ).click()
    page.get_by_role("row").filter(has_text="Vera Visitor").get_by_role("link").first.click()
    expect(page.get_by_text("Please correct the spelling of my name.")).to_be_visible()
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_text("The message is marked handled.")).to_be_visible()
