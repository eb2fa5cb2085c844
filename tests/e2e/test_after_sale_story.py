"""The after-sale story of the demo mall, click by click: a customer buys a font from Pixel Forge
and basil from Green Thumb in one checkout, downloads the font, follows the basil's parcel from
the shipment email, writes to the shop about it and gets an answer, downloads a copy of their
data and unsubscribes from the shop's newsletter with the link in it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.e2e.test_checkout import add_from, fill_address
from tests.support.mail import link_in, sent_to, text_of

OWNER = "maya.member@mall.example"  # owns every demo shop (DEMO_PEOPLE)
FONT, BASIL = "Gridline Mono Font", "Sweet Basil"
PIXEL, GREEN = "Pixel Forge", "Green Thumb Garden Supply"


def emailed_path(live_app, email: str, subject_part: str, path_part: str) -> str:
    """The path of the ``path_part`` link in the one email to ``email`` about ``subject_part``."""
    (message,) = [m for m in sent_to(live_app, email) if subject_part in m["Subject"]]
    return link_in(message, path_part)


def buy_a_font_and_basil(page) -> dict[str, str]:
    """One checkout with both shops, the newsletter of Green Thumb ticked; {shop: number}."""
    add_from(page, "pixel-forge", FONT)
    add_from(page, "green-thumb", BASIL)
    page.get_by_role("link", name="Checkout").click()
    fill_address(page)
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label(re.compile("^Test payment")).check()
    page.get_by_role("button", name="Review your order").click()
    newsletter = page.get_by_label(f"Send me {GREEN}'s newsletter")
    expect(newsletter).not_to_be_checked()  # never pre-ticked
    newsletter.check()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    numbers = page.get_by_role("heading", name=re.compile(r"order [A-Z]+-\d+$")).all_inner_texts()
    return {text.split(" — order ")[0]: text.split(" — order ")[1] for text in numbers}


def download_the_font(page) -> None:
    page.goto("/account/")
    page.get_by_role("link", name="Your downloads").click()
    expect(page.get_by_role("heading", name=FONT)).to_be_visible()
    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile(r"^gridline-mono-font.*\.zip$")).click()
    assert Path(started.value.path()).read_bytes()[:2] == b"PK"


def open_order_as_owner(page, shop: str, number: str) -> None:
    page.context.clear_cookies()
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto(f"/shop/{shop}/admin/orders/")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()


def ship_the_basil(page, number: str) -> None:
    open_order_as_owner(page, "green-thumb", number)
    page.get_by_label("Carrier", exact=True).select_option(label="Royal Mail")
    page.get_by_label("Tracking number").fill("RM246813579GB")
    page.get_by_role("button", name="Record shipment").click()
    expect(page.get_by_role("alert").filter(has_text="Shipment recorded")).to_be_visible()


def answer_the_message(page, number: str) -> None:
    page.context.clear_cookies()
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/shop/green-thumb/admin/")
    office = page.get_by_role("navigation", name="Shop back office")
    office.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name=f"Order {number}").click()
    expect(page.get_by_text("Can the basil wait at the neighbours'?")).to_be_visible()
    page.get_by_label("Your answer").fill("Of course: we will tell Royal Mail.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Answer sent")).to_be_visible()


def export_my_data(page, live_app, email: str) -> dict:
    sign_in(page, email)
    page.get_by_role("link", name="Your data and account deletion").click()
    page.get_by_role("button", name="Request my data").click()
    expect(page.get_by_text("We are preparing your data")).to_be_visible()
    link = emailed_path(live_app, email, "data export", "/account/privacy/export/")
    with page.expect_download() as started:
        page.evaluate(
            """url => { const a = document.createElement('a'); a.href = url;
                        document.body.appendChild(a); a.click(); }""",
            link,
        )
    with zipfile.ZipFile(Path(started.value.path())) as archive:
        return json.loads(archive.read("data.json"))


def send_a_newsletter(page) -> str:
    page.context.clear_cookies()
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/shop/green-thumb/admin/newsletters/")
    subject = f"Sow in spring {uuid4().hex[:6]}"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Text").fill("Basil likes **warmth**.")
    page.get_by_role("button", name="Save and preview").click()
    page.get_by_test_id("send-newsletter").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    return subject


def test_the_demo_after_sale_story(page, live_app):
    email = f"story-{uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Nora Story")
    sign_in(page, email)
    placed = buy_a_font_and_basil(page)
    assert set(placed) == {PIXEL, GREEN}, placed

    download_the_font(page)

    ship_the_basil(page, placed[GREEN])
    page.context.clear_cookies()  # the customer, from the shipment email, not signed in
    page.goto(emailed_path(live_app, email, "shipped", "/orders/"))
    expect(page.get_by_role("heading", name=f"Order {placed[GREEN]}")).to_be_visible()
    shipments = page.get_by_role("region", name="Parcels")
    expect(shipments.get_by_role("link", name=re.compile("RM246813579GB"))).to_be_visible()

    page.get_by_role("link", name=f"Write to {GREEN} about this order").click()
    page.get_by_label("Your message").fill("Can the basil wait at the neighbours'?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("Your message is sent.")).to_be_visible()
    answer_the_message(page, placed[GREEN])
    (answered,) = [m for m in sent_to(live_app, email) if "answered" in m["Subject"]]
    assert "Of course" not in text_of(answered)  # the email only says an answer waits

    page.context.clear_cookies()
    data = export_my_data(page, live_app, email)
    shops = {part["shop"]: part for part in data["shops"]}
    assert {PIXEL, GREEN} <= set(shops)
    assert [o["number"] for o in shops[GREEN]["orders"]] == [placed[GREEN]]
    thread = shops[GREEN]["customer_record"]["threads"][0]
    bodies = [message["text"] for message in thread["messages"]]
    assert bodies == [
        "Can the basil wait at the neighbours'?",
        "Of course: we will tell Royal Mail.",
    ]
    assert shops[GREEN]["newsletter"]["status"] == "subscribed"

    subject = send_a_newsletter(page)
    page.context.clear_cookies()
    page.goto(emailed_path(live_app, email, subject, "/emails/unsubscribe/"))
    page.get_by_test_id("unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
