"""Public pages served from cached fragments, with the visitor's own parts rendered around them.

A page template (``storefront/product.html``…) extends ``base.html`` and fills
the ``title``, ``head_meta`` and ``content`` blocks. ``cached_page`` renders
those three blocks once per key and version, stores them, and renders the
layout around them on every request: the header (cart count, the sign-in
menu), flashed messages and the footer are the visitor's, never cached.

For a visitor without a session (no cart, not signed in, no flashed message)
the layout is the same for everyone, so the whole page is kept too (under the
same key, suffixed ``:page``) and served with no template rendered at all.

Inside a fragment nothing of the visitor can appear: it is rendered as for an
anonymous visitor with an empty session, and the two per-visitor values a
public page's forms need are marks replaced on the way out: the CSRF token
(``csrf_token()``) and the add-to-cart form's one-time ``form_nonce()``. User
content cannot forge a mark: text is escaped, and descriptions are sanitised
HTML without comments.

The key is a SHA-256 of a JSON list: the template, the host the page is
served on (links differ between the mall's host and a shop's) and the
caller's key (which always includes the shop's id for a shop's page). The
fragment carries the versions of the counters it was rendered at; one round
trip fetches it with the current versions, and a fragment whose versions are
not the current ones is rendered again (and replaces it).

HTTP: each page gets an ``ETag`` (and answers ``If-None-Match`` with 304); a
visitor without a session (nothing per-visitor on the page) gets
``Cache-Control: public, no-cache`` and ``Last-Modified``, so a CDN or the
browser may keep it and revalidate; anyone else ``private, no-cache``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, make_response, render_template, request, session
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import ChoiceLoader, DictLoader, Environment
from markupsafe import Markup

from mall.pagecache.store import StoreUnavailable

bp = Blueprint("pagecache", __name__, template_folder="templates")  # the layout page only

FORMAT = 1  # bump when the stored shape changes
BLOCKS = ("title", "head_meta", "content")
CSRF_MARK = Markup("<!--mall:csrf-token-->")
NONCE_MARK = Markup("<!--mall:form-nonce-->")
BLOCK_END = "<!--mall:block-end-->"


def form_nonce() -> str:
    """A fresh token for a form that must act once per rendering (add to cart)."""
    return secrets.token_hex(8)


def cached_page(
    template: str,
    *,
    key: Sequence[Any] | None,
    versions: Sequence[str],
    context: Callable[[], dict[str, Any]],
) -> Response:
    """``template`` rendered from its cached fragment, or rendered, stored and served.

    ``key`` identifies the page's content (None: do not cache this request, e.g.
    an unusual filter); ``versions`` names the counters a write to its content
    bumps; ``context()`` loads what the template needs, on a miss only.
    """
    store = current_app.extensions.get("mall.pagecache")
    host = _host_key()
    if store is None or key is None or host is None:
        return _respond(render_template(template, **context()), rendered_at=None)
    digest = _digest([FORMAT, template, host, list(key)])
    # A visitor with no session (no cart, not signed in, no message waiting) sees
    # the same layout as every such visitor: the whole page is kept for them.
    whole = _is_anonymous_without_session()
    try:
        numbers, stored = store.lookup(list(versions), digest + ":page" if whole else digest)
    except StoreUnavailable:
        return _respond(render_template(template, **context()), rendered_at=None)
    entry = json.loads(stored) if stored is not None else None
    if entry is None or entry.get("versions") != numbers:
        # Missing, or rendered before the last change to what the page shows.
        entry = _fragment(store, digest, numbers, template, context)
        if whole:
            html = render_template("pagecache/page.html", blocks=entry["blocks"])
            entry = {"versions": numbers, "at": entry["at"], "html": html}
            store.put(digest + ":page", json.dumps(entry).encode())
    if whole:
        return _respond(_fill_in_visitor(entry["html"]), entry["at"])
    blocks = {name: _fill_in_visitor(text) for name, text in entry["blocks"].items()}
    return _respond(render_template("pagecache/page.html", blocks=blocks), entry["at"])


def _fragment(
    store: Any,
    digest: str,
    numbers: list[int],
    template: str,
    context: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The page's blocks at ``numbers`` (the current versions): stored, or rendered and stored."""
    stored = store.get(digest)
    fragment = json.loads(stored) if stored is not None else None
    if fragment is None or fragment.get("versions") != numbers:
        blocks = _render_blocks(template, context())
        fragment = {"versions": numbers, "at": int(time.time()), "blocks": blocks}
        store.put(digest, json.dumps(fragment).encode())
    return fragment


def _digest(parts: list[Any]) -> str:
    text = json.dumps(parts, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _host_key() -> str | None:
    """The scheme and host for the key; None for a host that is neither the mall's nor a shop's."""
    host = request.host.lower()
    if request.environ.get("mall.host_shop") is None:
        config = current_app.config
        base = config.get("BASE_DOMAIN")
        known = {"localhost", "127.0.0.1", urlsplit(config.get("PUBLIC_URL") or "").hostname}
        if base:
            known |= {base, f"www.{base}"}
        if host.rsplit(":", 1)[0] not in known:
            return None
    return f"{request.scheme}://{host}"


class _Nobody(AnonymousUserMixin):
    """Who a fragment is rendered for: no one in particular."""


def _render_blocks(template: str, values: dict[str, Any]) -> dict[str, str]:
    """The page's blocks, rendered as for nobody in particular, with the visitor's marks."""
    app = current_app
    app.update_template_context(values)
    values.update(
        current_user=_Nobody(),
        session={},
        csrf_token=lambda: CSRF_MARK,
        form_nonce=lambda: NONCE_MARK,
        get_flashed_messages=lambda *args, **kwargs: [],
        cart_item_count=lambda: 0,
    )
    html = _blocks_environment(app).get_template(template).render(values)
    return dict(zip(BLOCKS, html.split(BLOCK_END)[: len(BLOCKS)], strict=True))


def _blocks_environment(app: Any) -> Environment:
    """The app's template environment in which ``base.html`` is the blocks and nothing else.

    The page template runs whole (its imports and top-level code included),
    and its ``extends "base.html"`` yields the three blocks, each ended by a
    mark no escaped or sanitised content can contain.
    """
    environment = app.extensions.get("mall.pagecache.jinja")
    if environment is None:
        layout = "".join(f"{{% block {name} %}}{{% endblock %}}{BLOCK_END}" for name in BLOCKS)
        loader = ChoiceLoader([DictLoader({"base.html": layout}), app.jinja_env.loader])
        environment = app.jinja_env.overlay(loader=loader)
        app.extensions["mall.pagecache.jinja"] = environment
    return environment


def _fill_in_visitor(text: str) -> str:
    if CSRF_MARK in text:
        text = text.replace(CSRF_MARK, generate_csrf())
    if NONCE_MARK in text:
        text = text.replace(NONCE_MARK, form_nonce())
    return text


def _respond(html: str, rendered_at: int | None) -> Response:
    response = make_response(html)
    response.vary.add("Cookie")
    if _is_anonymous_without_session():
        response.cache_control.public = True
        if rendered_at is not None:
            response.last_modified = datetime.fromtimestamp(rendered_at, UTC)
    else:
        response.cache_control.private = True
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


def _is_anonymous_without_session() -> bool:
    return not session and not current_user.is_authenticated
