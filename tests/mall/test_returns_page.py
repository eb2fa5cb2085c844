"""The customer's return page after a request: the shop's refusal message is shown with the
request, and units named by a pending request are said to be in it (not "not shipped")."""

from __future__ import annotations

from mall.extensions import db
from mall.returns import services
from tenants.context import tenant_context
from tests.mall.test_returns import ask, shipped_order


def test_a_pending_request_holds_the_shipped_units_and_a_refusal_shows_its_message(
    app_ctx, client, shop_a
):
    made = shipped_order(shop_a, quantity=2, shipped=2)
    request, _ = ask(shop_a, made, 2)
    pending = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert "once they are shipped, within the shop's return window.</p>" not in pending
    assert "the shipped items are in your pending request" in pending
    assert "Requested: to decide" in pending
    with tenant_context(shop_a):
        found = services.get_return(request)
        assert services.refuse(found, message="The seal is broken.", actor_id=None)
        db.session.commit()
    refused = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert "Refused. The shop's message:" in refused and "The seal is broken." in refused
    assert "pending request" not in refused  # the units may be asked for again
    assert "Ask for the return" in refused


def test_a_partly_requested_line_says_how_many_are_pending(app_ctx, client, shop_a):
    made = shipped_order(shop_a, quantity=3, shipped=3)
    ask(shop_a, made, 2)
    page = client.get(f"{made.path}/returns/new").get_data(as_text=True)
    assert ": up to 1, until" in page
    assert "; 2 more already in your pending request</label>" in page
