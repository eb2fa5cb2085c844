"""/account/addresses: list, add, edit, delete (asked once), default; sealed at rest; checked by
the country's rules; another customer's address is a 404; checkout offers the default first."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.accounts.address_book import MAX_ADDRESSES, add_address, address_book
from mall.accounts.addresses import PostalAddress
from mall.accounts.models import SavedAddress
from mall.extensions import db
from tests.support.shopping import add_to_cart, stock_shop

HOME = {
    "name": "Ada Lovelace",
    "line1": "12 Marylebone Road",
    "city": "London",
    "postal_code": "NW1 5LR",
    "country": "GB",
}
OFFICE = {
    "name": "Ada Lovelace",
    "line1": "1600 Amphitheatre Parkway",
    "city": "Mountain View",
    "region": "CA",
    "postal_code": "94043",
    "country": "US",
}


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def customer(make_user, sign_in, no_csrf):
    user = make_user("ada@example.com", name="Ada Lovelace")
    sign_in(user)
    return user


def rows_of(user) -> list[SavedAddress]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SavedAddress).where(SavedAddress.user_id == user.id)))


def test_add_list_and_sealed_at_rest(client, customer):
    response = client.post("/account/addresses/new", data=HOME)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/addresses")
    html = client.get("/account/addresses").get_data(as_text=True)
    assert "12 Marylebone Road" in html and "NW1 5LR" in html
    (row,) = rows_of(customer)
    raw = db.session.execute(
        sa.text("SELECT address FROM saved_addresses WHERE id = :id"),
        {"id": row.id.hex} if db.engine.dialect.name == "sqlite" else {"id": row.id},
    ).scalar_one()
    assert b"Marylebone" not in bytes(raw)


def test_the_same_address_twice_keeps_one_row(client, customer):
    assert client.post("/account/addresses/new", data=HOME).status_code == 303
    assert client.post("/account/addresses/new", data=HOME).status_code == 303
    assert len(rows_of(customer)) == 1


def test_bad_addresses_get_clear_messages_and_a_400(client, customer):
    response = client.post("/account/addresses/new", data={**OFFICE, "region": ""})
    assert response.status_code == 400
    assert "state, province or region" in response.get_data(as_text=True)
    response = client.post("/account/addresses/new", data={**HOME, "country": "XX"})
    assert response.status_code == 400
    assert "Choose a country" in response.get_data(as_text=True)
    response = client.post("/account/addresses/new", data={**HOME, "line1": "x" * 500})
    assert response.status_code == 400
    assert rows_of(customer) == []


def test_edit_and_default(client, customer):
    client.post("/account/addresses/new", data=HOME)
    client.post("/account/addresses/new", data=OFFICE)
    home, office = sorted(rows_of(customer), key=lambda row: row.created_at)
    page = client.get(f"/account/addresses/{home.id}")
    assert page.status_code == 200 and "12 Marylebone Road" in page.get_data(as_text=True)
    moved = {**HOME, "line1": "221B Baker Street", "postal_code": "NW1 6XE"}
    assert client.post(f"/account/addresses/{home.id}", data=moved).status_code == 303
    # Editing it into the other saved address is refused, with a message.
    response = client.post(f"/account/addresses/{home.id}", data=OFFICE)
    assert response.status_code == 409
    assert "already in your address book" in response.get_data(as_text=True)
    assert client.post(f"/account/addresses/{home.id}/default").status_code == 303
    assert client.post(f"/account/addresses/{home.id}/default").status_code == 303  # again: same
    db.session.expire_all()
    book = address_book(customer)
    assert [entry.id for entry in book] == [home.id, office.id]
    assert book[0].is_default and not book[1].is_default
    assert book[0].address.line1 == "221B Baker Street"
    assert client.post(f"/account/addresses/{office.id}/default").status_code == 303
    db.session.expire_all()
    assert [(e.id, e.is_default) for e in address_book(customer)] == [
        (office.id, True),
        (home.id, False),
    ]


def test_delete_asks_once_and_a_repeat_changes_nothing(client, customer):
    client.post("/account/addresses/new", data=HOME)
    (row,) = rows_of(customer)
    row_id = row.id
    ask = client.get(f"/account/addresses/{row_id}/delete")
    assert ask.status_code == 200 and "Delete this address?" in ask.get_data(as_text=True)
    assert rows_of(customer) != []
    assert client.post(f"/account/addresses/{row_id}/delete").status_code == 303
    assert rows_of(customer) == []
    again = client.post(f"/account/addresses/{row_id}/delete", follow_redirects=True)
    assert again.status_code == 200 and "already deleted" in again.get_data(as_text=True)
    assert client.get(f"/account/addresses/{row_id}/delete").status_code == 404


def test_another_customers_address_is_a_404(client, customer, make_user):
    other = make_user("bob@example.com", name="Bob")
    theirs = add_address(other, PostalAddress(**HOME))
    db.session.commit()
    for method, path in (
        ("get", f"/account/addresses/{theirs.id}"),
        ("post", f"/account/addresses/{theirs.id}"),
        ("get", f"/account/addresses/{theirs.id}/delete"),
        ("post", f"/account/addresses/{theirs.id}/default"),
    ):
        assert getattr(client, method)(path, data=OFFICE).status_code == 404, path
    # Deleting someone else's id deletes nothing.
    client.post(f"/account/addresses/{theirs.id}/delete")
    assert len(rows_of(other)) == 1
    assert "Marylebone" not in client.get("/account/addresses").get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/account/addresses")
    assert response.status_code in (302, 303) and "/account/login" in response.headers["Location"]


def test_the_book_has_a_limit(app_ctx, customer):
    for n in range(MAX_ADDRESSES):
        add_address(customer, PostalAddress(**{**HOME, "line1": f"{n} Marylebone Road"}))
    from mall.accounts.address_book import AddressBookError

    with pytest.raises(AddressBookError, match="full"):
        add_address(customer, PostalAddress(**{**HOME, "line1": "99 Baker Street"}))


def test_checkout_offers_the_default_first(client, customer, make_shop):
    client.post("/account/addresses/new", data=HOME)
    client.post("/account/addresses/new", data={**OFFICE, "make_default": "y"})
    stocked = stock_shop(make_shop("kettles"))
    add_to_cart(client, stocked.variant_id)
    assert client.post("/checkout/contact", data={"email": "ada@example.com"}).status_code == 303
    page = client.get("/checkout/address").get_data(as_text=True)
    offered = re.findall(r'name="saved"[^>]*value="([0-9a-f-]{36})"', page) or re.findall(
        r'value="([0-9a-f-]{36})"[^>]*name="saved"', page
    )
    office = next(e for e in address_book(customer) if e.is_default)
    assert offered and offered[0] == str(office.id)
    # Choosing it carries on to shipping as before.
    response = client.post("/checkout/address", data={"saved": str(office.id), "billing_same": "y"})
    assert response.status_code == 303 and "/checkout/shipping" in response.headers["Location"]


def test_checkout_keeps_no_address_past_the_limit_and_says_so(client, customer, make_shop):
    from tests.support.shopping import ADDRESS

    for n in range(MAX_ADDRESSES):
        add_address(customer, PostalAddress(**{**HOME, "line1": f"{n} Marylebone Road"}))
    db.session.commit()
    stocked = stock_shop(make_shop("kettles"))
    add_to_cart(client, stocked.variant_id)
    assert client.post("/checkout/contact", data={"email": "ada@example.com"}).status_code == 303
    typed = {**ADDRESS, "ship-line1": "99 Baker Street", "save": "y"}
    response = client.post("/checkout/address", data=typed)
    assert response.status_code == 303 and "/checkout/shipping" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your address book is full, so this address was not saved" in page
    assert len(rows_of(customer)) == MAX_ADDRESSES  # none hidden past the book's limit
