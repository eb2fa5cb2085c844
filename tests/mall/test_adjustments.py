"""Manual adjustments: an operator credits or debits a shop with a reason, posted once, audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerEntry
from tenants.models import AuditEvent
from tests.support.money import account_total


@pytest.fixture
def as_operator(app, client, operator, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    sign_in(operator)
    return operator


def form_key(client) -> str:
    page = client.get("/admin/money/adjustments").get_data(as_text=True)
    return re.search(r'name="key"[^>]*value="([0-9a-f]{32})"', page).group(1)


def adjust(client, key: str, **data: str):
    fields = {"shop": "shop-a", "direction": "credit", "amount": "12.50", "reason": "Goodwill"}
    return client.post("/admin/money/adjustments", data={**fields, **data, "key": key})


def adjustments() -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.kind == EntryKind.ADJUSTMENT)
            .order_by(LedgerEntry.seq)
        )
    )


def test_a_credit_is_posted_once_with_its_reason_and_audited(client, shop_a, as_operator):
    key = form_key(client)
    for _ in range(2):  # a double click
        response = adjust(client, key, reason="Courier lost the parcel: we pay the shop")
        assert response.status_code == 303
    (entry,) = adjustments()
    assert entry.memo == "Courier lost the parcel: we pay the shop"  # the statement shows it
    assert entry.shop_id == shop_a.id and entry.actor_id == as_operator.id
    assert account_total(Account.SHOP_AVAILABLE, shop_a.id) == -1250  # the mall owes it more
    assert account_total(Account.ADJUSTMENTS) == 1250
    (audit,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "ledger.adjustment")
    ).all()
    assert audit.target_id == str(shop_a.id) and audit.details["amount"] == 1250
    page = client.get("/admin/money/adjustments").get_data(as_text=True)
    assert "Courier lost the parcel" in page and "Shop A" in page and "$12.50" in page
    assert verify_chain().ok


def test_a_debit_takes_from_the_shop(client, shop_a, as_operator):
    adjust(client, form_key(client), direction="debit", amount="3", reason="Label cost")
    assert account_total(Account.SHOP_AVAILABLE, shop_a.id) == 300  # the shop owes it
    assert account_total(Account.ADJUSTMENTS) == -300
    assert "-$3.00" in client.get("/admin/money/adjustments").get_data(as_text=True)
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": ""}, "Give the reason"),
        ({"reason": "   "}, "Give the reason"),
        ({"amount": "0"}, "other than zero"),
        ({"amount": "-5"}, "zero or more"),
        ({"amount": "1.234"}, "at most 2 decimal"),
        ({"amount": "99999999999"}, "at most"),
        ({"shop": "no-such-shop"}, "No shop has this address"),
        ({"reason": "x" * 300}, "at most 250"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, shop_a, as_operator, data, message):
    response = adjust(client, form_key(client), **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert adjustments() == []


def test_an_expired_form_posts_nothing(client, shop_a, as_operator):
    assert adjust(client, "not-a-key").status_code == 422
    assert adjustments() == []


def test_only_operators_adjust(app, client, shop_a, member_of_a, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert client.get("/admin/money/adjustments").status_code == 403
    assert adjust(client, "a" * 32).status_code == 403
    assert adjustments() == []
