"""A NUL byte (or another C0 control character) in any input is a 400 with a clear message.

One hook (``mall.security.refuse_control_characters``) reads every host,
path, query-string and form value before any view, form or shop look-up, so
no route, old or new, can pass one to PostgreSQL (which cannot store NUL in
text and would answer 500). Tab, CR and LF are ordinary text; file contents
are bytes and are not inspected.
"""

from __future__ import annotations

import io
from uuid import uuid4

import pytest
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, UUIDConverter
from wtforms.fields.core import UnboundField

from mall.extensions import db, limiter
from mall.shops.models import Membership, Role
from tests.crawl import OBJECT_IDS

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
MESSAGE = "contains a control character"


def form_field_names() -> set[str]:
    """The name of every field of every form the app defines (and ``q``, the list filter)."""
    names, classes = {"q"}, [FlaskForm]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        names |= {name for name, value in vars(cls).items() if isinstance(value, UnboundField)}
    return names


def url_values(rule, shop) -> dict:
    """Values for every argument of ``rule``: real objects of shop A where the crawler makes them.

    Console actions get an unknown shop id, so that (without the hook) closing
    or suspending shop A cannot hide the routes tried after it.
    """
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if argument == "shop":
            values[argument] = shop.slug
        elif argument in OBJECT_IDS and rule.rule.startswith("/shop/<shop>"):
            values[argument] = OBJECT_IDS[argument](shop)
        elif isinstance(converter, UUIDConverter):
            values[argument] = uuid4()
        elif isinstance(converter, IntegerConverter):
            values[argument] = 1
        else:
            values[argument] = "some-value"
    return values


@pytest.fixture
def everyone(app, shop_a, make_user, sign_in, monkeypatch):
    """Signed in as an operator who also owns shop A, CSRF off: every form reaches its view."""
    user = make_user("owner-operator@example.com", operator=True, name="Owner Operator")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    limiter.reset()
    yield user
    limiter.reset()


def assert_refused(response, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code}"
    assert MESSAGE in response.get_data(as_text=True), what


def test_a_nul_byte_in_any_form_or_query_string_is_a_400(app, client, shop_a, everyone, sign_in):
    fields = form_field_names()
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.build(url_values(rule, shop_a))[1]
        for method in sorted(rule.methods - SKIPPED_METHODS):
            sign_in(everyone)  # again: without the hook, a sign-out form would sign us out
            if method == "GET":
                response = client.get(f"{path}?q=%00&page=1")
            else:
                form = {name: f"Tea\x00{name}" for name in fields}
                response = client.open(path, method=method, data=form)
            if response.status_code != 400 or MESSAGE not in response.get_data(as_text=True):
                failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "control characters got through:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=%01",
        "/search?q=tea&sort=%1f",
        "/search?%00=tea",
        "/categories/%00",
        "/shop/%00/",
        "/shop/shop-a/products/tea%00",
        "/shop/shop-a/admin/catalog/?q=%0b",
        "/admin/shops?q=%00",
    ],
)
def test_control_characters_in_paths_and_query_strings(client, shop_a, everyone, url):
    assert_refused(client.get(url), url)


def test_a_nul_byte_posted_to_a_form_is_refused_before_the_csrf_check(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/account/login", data={"email": "a\x00@example.com"})
    assert_refused(response, "POST /account/login")


def test_json_clients_get_the_message_as_json(client):
    response = client.get("/search?q=%00", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert MESSAGE in response.json["message"]


def test_tabs_and_line_breaks_are_ordinary_text(client, member_of_a, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    response = client.post(
        "/shop/shop-a/admin/probe/", data={"description": "Line one\r\n\tLine two\nCafé"}
    )
    assert response.status_code == 200
    assert client.get("/search?q=caf%C3%A9%09tea").status_code == 200


def test_file_contents_are_not_inspected_but_file_names_are(client, member_of_a, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    binary = io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    response = client.post(
        "/shop/shop-a/admin/probe/",
        data={"file": (binary, "photo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    response = client.post(
        "/shop/shop-a/admin/probe/",
        data={"file": (io.BytesIO(b"x"), "photo\x00.png")},
        content_type="multipart/form-data",
    )
    assert_refused(response, "a file name with NUL")
