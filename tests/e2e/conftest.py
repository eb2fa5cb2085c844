"""Browser journeys: Playwright drives Debian's Chromium against a live server on loopback.

The server runs the real app on its own migrated, demo-seeded SQLite file in a
thread. Each test gets a fresh page; any console error, uncaught exception,
failed request or HTTP error response fails the test, and a failed test leaves
a screenshot in ``tests/e2e/artifacts/``. After a journey, every page it visited
is checked with axe-core and on a 390 px screen (``page_checks.py``); mark a
test ``skip_page_checks`` only when its pages are checked by another journey.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.page_checks import check_pages, same_site_pages

CHROMIUM = os.environ.get("MALL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The mall's test domain and its shops' subdomains are this machine (shop-host journeys).
    "--host-resolver-rules=MAP mall.test 127.0.0.1, MAP *.mall.test 127.0.0.1",
]


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind the live server (its own SQLite file, demo-seeded).

    Journeys may create data with ``with live_app.app_context(): …; db.session.commit()``.
    """
    from mall.demo.people import seed_demo
    from mall.extensions import db
    from tests.conftest import dispose_app, make_test_app

    app = make_test_app("sqlite", tmp_path_factory.mktemp("e2e"))
    with app.app_context():
        seed_demo()
        db.session.commit()
    yield app
    dispose_app(app)


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    from werkzeug.serving import make_server

    app = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Browser suite: Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.skip("Browser suite: the playwright package is not installed")
    with sync_playwright() as playwright:
        port = live_server.rsplit(":", 1)[1]
        # Plain http on mall.test is a real origin to Chromium only when told to trust it
        # (otherwise it logs that it ignored the Cross-Origin-Opener-Policy header).
        trusted = f"http://mall.test:{port},http://green-thumb.mall.test:{port}"
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={trusted}"],
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong on a page while a journey ran."""

    items: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser, live_app, live_server, request):
    from mall.extensions import limiter

    # Every journey is its own person: without this, the suite's sign-ins (all from
    # 127.0.0.1) add up past the login limit and a later journey gets 429.
    with live_app.app_context():
        limiter.reset()
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems()
    page.on(
        "console",
        lambda msg: (
            problems.items.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not expected_error_log(msg, request)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.items.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        lambda req: (
            problems.items.append(f"request failed: {req.url} {req.failure}")
            # A navigation cancels what the old page was still loading (e.g. its favicon):
            # that is ERR_ABORTED, not a broken page. HTTP errors are caught below.
            if req.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    page.on(
        "response",
        lambda res: (
            problems.items.append(f"HTTP {res.status}: {res.url}")
            if res.status >= 400 and res.url not in problems_expected(request)
            else None
        ),
    )
    visited: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: visited.append(frame.url) if frame == page.main_frame else None,
    )
    page.problems = problems
    yield page
    failed = getattr(request.node, "report_call", None)
    if (failed is not None and failed.failed) or problems.items:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    elif not request.node.get_closest_marker("skip_page_checks"):
        problems.items += check_pages(context, same_site_pages(visited, live_server))
    context.close()
    assert not problems.items, "browser problems:\n" + "\n".join(problems.items)


def problems_expected(request) -> set[str]:
    """URLs a test expects to answer with an error status (marker ``expect_status``)."""
    marker = request.node.get_closest_marker("expect_http_error")
    return set(marker.args) if marker else set()


def expected_error_log(msg, request) -> bool:
    """Chromium logs every HTTP error response: not a problem for a URL the test expects."""
    return msg.text.startswith("Failed to load resource: the server responded") and (
        msg.location.get("url") in problems_expected(request)
    )
