"""The checks every journey's pages go through find what they are for."""

from __future__ import annotations

import pytest

from tests.e2e.page_checks import DESKTOP, check_page

BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head><body>
<main>
  <p style="color:#9a9a9a;background:#fff">Grey on white is hard to read.</p>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <div style="width:900px">A table that does not fit a phone.</div>
  <input aria-label="Quantity" type="number" value="12" style="width:18px">
  <button style="position:absolute;left:600px">Remove</button>
  <select aria-label="Sort by" style="width:90px"><option>Price, highest first</option></select>
</main></body></html>"""

GOOD_PAGE = """<!doctype html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<main><h1>Fine</h1><label>Quantity <input type="number" value="12"></label>
<button>Remove</button></main></body></html>"""


@pytest.fixture
def page(browser):
    """A blank page outside the live server: these pages are made here, not served."""
    page = browser.new_page(viewport=DESKTOP)
    yield page
    page.close()


def test_a_bad_page_fails_both_checks(page):
    page.set_content(BAD_PAGE)
    problems = "\n".join(check_page(page))
    assert "axe serious color-contrast" in problems
    assert "axe critical image-alt" in problems
    assert "page scrolls sideways" in problems
    assert '"12" is 26px wide' in problems
    assert '"Remove" is off-screen' in problems
    assert 'select[name=] "Price, highest first" is narrower than its content' in problems


def test_a_good_page_passes(page):
    page.set_content(GOOD_PAGE)
    assert check_page(page) == []
