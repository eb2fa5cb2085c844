"""An operator grows the mall's category tree; a visitor browses it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def test_operator_adds_a_category_and_a_visitor_browses_it(page, live_app):
    suffix = uuid.uuid4().hex[:6]
    email = f"cat-operator-{suffix}@example.com"
    make_person(live_app, email, name="Category Operator", operator=True)
    sign_in(page, email)
    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Categories"
    ).click()
    expect(page.get_by_role("heading", name="Categories")).to_be_visible()
    expect(page.get_by_text("Home & Garden")).to_be_visible()  # the demo tree

    page.get_by_role("link", name=re.compile("New category|Add a category")).first.click()
    page.get_by_label("Name").fill(f"Stationery {suffix}")
    page.get_by_label("Address (slug)").fill(f"stationery-{suffix}")
    page.get_by_role("button", name="Create category").click()
    expect(page.get_by_text(f"Stationery {suffix}").first).to_be_visible()

    # Deleting asks once, on a page of its own, naming what happens.
    page.get_by_role("link", name="New category").first.click()
    page.get_by_label("Name").fill(f"Papers {suffix}")
    page.get_by_label("Address (slug)").fill(f"papers-{suffix}")
    page.get_by_role("button", name="Create category").click()
    page.get_by_role("link", name=f"Delete Papers {suffix}").click()
    expect(page.get_by_role("heading", name=f"Delete category Papers {suffix}?")).to_be_visible()
    expect(page.get_by_text(f"/categories/papers-{suffix}")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_text(f"Papers {suffix}")).to_be_visible()
    page.get_by_role("link", name=f"Delete Papers {suffix}").click()
    page.get_by_role("button", name=f"Delete Papers {suffix}").click()
    expect(page.get_by_text("Category deleted.")).to_be_visible()
    expect(page.get_by_text(f"Papers {suffix}")).to_have_count(0)

    page.goto(f"/categories/stationery-{suffix}")
    expect(page.get_by_role("heading", name=f"Stationery {suffix}")).to_be_visible()
    page.goto("/categories/seeds")
    expect(page.get_by_role("heading", name="Seeds", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Genovese"))).to_be_visible()
