"""The ledger's affiliate accounts: a line on one names its affiliate (and only such a line
does), balances are per affiliate, and the chain covers the affiliate of a line while every
line posted without one keeps the hash it had."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mall.db import new_id
from mall.ledger.chain import entry_content, entry_hash, verify_chain
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind
from mall.ledger.posting import balance, credit, debit, post


def earn(shop_id, affiliate_id, amount: int, key: str):
    """The shop pays an affiliate's commission: Dr its pending balance / Cr the affiliate's."""
    return post(
        EntryKind.ADJUSTMENT,
        [
            debit(Account.SHOP_PENDING, amount, shop_id=shop_id),
            credit(Account.AFFILIATE_PENDING, amount, affiliate_id=affiliate_id),
        ],
        key=key,
        ref_type="test",
        ref_id=key,
        shop_id=shop_id,
    )


def test_a_line_on_an_affiliate_account_names_its_affiliate(app_ctx, shop_a):
    with pytest.raises(LedgerError, match="must name its affiliate"):
        post(
            EntryKind.ADJUSTMENT,
            [debit(Account.PROCESSOR, 100), credit(Account.AFFILIATE_PENDING, 100)],
            key="no-affiliate",
            ref_type="test",
            ref_id="x",
        )
    with pytest.raises(LedgerError, match="names no affiliate"):
        post(
            EntryKind.ADJUSTMENT,
            [
                debit(Account.PROCESSOR, 100, affiliate_id=new_id()),
                credit(Account.COMMISSION, 100),
            ],
            key="stray-affiliate",
            ref_type="test",
            ref_id="x",
        )


def test_balances_are_per_affiliate(app_ctx, shop_a):
    first, second = new_id(), new_id()
    earn(shop_a.id, first, 250, "one")
    earn(shop_a.id, second, 40, "two")
    earn(shop_a.id, first, 250, "one")  # replayed: posted once
    assert balance(Account.AFFILIATE_PENDING, affiliate_id=first) == -250
    assert balance(Account.AFFILIATE_PENDING, affiliate_id=second) == -40
    assert balance(Account.SHOP_PENDING, shop_id=shop_a.id) == 290
    with pytest.raises(LedgerError, match="name the affiliate"):
        balance(Account.AFFILIATE_PENDING)
    assert verify_chain().ok


def test_the_hash_covers_a_lines_affiliate_and_only_when_it_has_one(app_ctx, shop_a):
    affiliate = new_id()
    entry = earn(shop_a.id, affiliate, 100, "hashed")
    lines = sorted(entry.lines, key=lambda line: line.position)
    content = entry_content(entry, lines)["lines"]
    assert "affiliate_id" not in content[0]  # a line without one hashes as before
    assert content[1]["affiliate_id"] == str(affiliate)
    assert entry_hash(entry, lines) == entry.hash
    moved = [copy_of(lines[0]), copy_of(lines[1], affiliate_id=new_id())]
    assert entry_hash(entry, moved) != entry.hash  # the line given to another affiliate


def copy_of(line, **changes) -> SimpleNamespace:
    columns = {column.key: getattr(line, column.key) for column in line.__table__.columns}
    return SimpleNamespace(**{**columns, **changes})
