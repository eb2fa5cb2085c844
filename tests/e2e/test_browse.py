"""A visitor browses the mall: home page, privacy page, a shop, search."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_visitor_opens_home_privacy_and_a_shop(page):
    page.goto("/")
    expect(page).to_have_title(re.compile("Welcome"))
    expect(page.get_by_role("heading", name="Welcome to Mall")).to_be_visible()
    expect(page.get_by_role("link", name="Bright Sparks Electronics")).to_have_count(0)

    page.get_by_role("link", name="Privacy & security").click()
    expect(page.get_by_role("heading", name="Privacy and security")).to_be_visible()
    expect(page.get_by_text("We never sell, rent, lease or pass on")).to_be_visible()

    page.get_by_role("link", name="Mall", exact=True).first.click()
    # Newest shops come first: other journeys may have opened shops since the demo's.
    green_thumb = page.get_by_role("link", name="Green Thumb Garden Supply")
    for _ in range(30):
        if green_thumb.count():
            break
        page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    green_thumb.click()
    expect(page).to_have_url(re.compile(r"/shop/green-thumb/$"))
    expect(page.get_by_role("heading", name="Green Thumb Garden Supply")).to_be_visible()


def test_visitor_searches_for_a_shop(page):
    page.goto("/")
    page.get_by_label("Search the mall").fill("lantern")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile("results for “lantern”"))).to_be_visible()
    page.get_by_role("link", name="Paper Lantern Books").click()
    expect(page.get_by_role("heading", name="Paper Lantern Books")).to_be_visible()


def test_skip_link_moves_focus_to_the_content(page):
    page.goto("/privacy")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))
