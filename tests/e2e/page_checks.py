"""Checks every page a journey visited: axe-core (no serious or critical violation) and a
390 px phone screen (no sideways scroll, no control cut off or narrower than its content).

The journey's own page only records where it went; after the journey the pages are
visited again in the same browser context (same cookies), one by one, at 1280 px for
axe-core and at 390 px for the layout. axe-core is vendored from the npm registry into
``mall/static/vendor/``; it is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so no page changes for the tests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

AXE = Path(__file__).resolve().parents[2] / "mall/static/vendor/axe-core-4.14.1/axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 720}
# WCAG 2.2's target size is 24 px; a field needs room for a few digits and its spinner.
MIN_CONTROL_WIDTH = 24
MIN_FIELD_WIDTH = 48

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.help} at ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""

PHONE_LAYOUT = (Path(__file__).parent / "phone_layout.js").read_text()


def same_site_pages(visited: list[str], base_url: str) -> list[str]:
    """The distinct pages of the live server a journey visited, in order (no fragments)."""
    base = urlsplit(base_url).netloc
    seen: dict[str, None] = {}
    for url in visited:
        parts = urlsplit(url)
        if parts.netloc == base and parts.scheme in ("http", "https"):
            seen.setdefault(parts._replace(fragment="").geturl(), None)
    return list(seen)


def check_pages(context, urls: list[str]) -> list[str]:
    """Visit each URL again in ``context``; the problems found, prefixed with the path."""
    axe_source = AXE.read_text()
    page = context.new_page()
    problems: list[str] = []
    try:
        for url in urls:
            page.set_viewport_size(DESKTOP)
            response = page.goto(url)
            if response is None or response.status != 200:
                continue
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            path = urlsplit(page.url).path or "/"
            problems += [f"{path}: {problem}" for problem in check_page(page, axe_source)]
    finally:
        page.close()
    return problems


def check_page(page, axe_source: str | None = None) -> list[str]:
    """axe-core at the current size, then the layout at 390 px, of the page as it is now."""
    page.evaluate(axe_source or AXE.read_text())
    problems = [f"axe {violation}" for violation in page.evaluate(RUN_AXE)]
    page.set_viewport_size(PHONE)
    problems += [
        f"at 390 px, {p}" for p in page.evaluate(PHONE_LAYOUT, [MIN_CONTROL_WIDTH, MIN_FIELD_WIDTH])
    ]
    return problems
