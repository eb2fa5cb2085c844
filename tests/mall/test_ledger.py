"""The ledger: balanced, idempotent, chained postings; verification finds any edit or deletion."""

from __future__ import annotations

from itertools import pairwise

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.posting import balance, credit, debit, post


def _sale(shop_id, amount: int = 1000, key: str = "k1"):
    return post(
        EntryKind.ADJUSTMENT,
        [
            debit(Account.PROCESSOR, amount),
            credit(Account.SHOP_AVAILABLE, amount, shop_id=shop_id),
        ],
        key=key,
        ref_type="test",
        ref_id=key,
        shop_id=shop_id,
        memo="test sale",
    )


def test_an_entry_is_posted_once_per_key_and_balances(app_ctx, shop_a):
    first = _sale(shop_a.id)
    again = _sale(shop_a.id)
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1
    assert balance(Account.SHOP_AVAILABLE, shop_id=shop_a.id) == -1000
    assert balance(Account.PROCESSOR) == 1000
    assert sum(line.amount for line in first.lines) == 0


def test_unbalanced_or_misaddressed_lines_are_refused(app_ctx, shop_a):
    with pytest.raises(LedgerError, match="does not balance"):
        post(
            EntryKind.ADJUSTMENT,
            [debit(Account.PROCESSOR, 100), credit(Account.COMMISSION, 99)],
            key="bad",
            ref_type="test",
            ref_id="bad",
        )
    with pytest.raises(LedgerError, match="must name its shop"):
        post(
            EntryKind.ADJUSTMENT,
            [debit(Account.PROCESSOR, 100), credit(Account.SHOP_AVAILABLE, 100)],
            key="bad2",
            ref_type="test",
            ref_id="bad",
        )
    with pytest.raises(LedgerError, match="platform's"):
        post(
            EntryKind.ADJUSTMENT,
            [
                debit(Account.PROCESSOR, 100, shop_id=shop_a.id),
                credit(Account.SHOP_AVAILABLE, 100, shop_id=shop_a.id),
            ],
            key="bad3",
            ref_type="test",
            ref_id="bad",
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_entries_are_numbered_and_chained(app_ctx, shop_a):
    entries = [_sale(shop_a.id, 100 + n, key=f"k{n}") for n in range(5)]
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(entries))
    found = verify_chain()
    assert found.ok, found.message
    assert found.entries == 5


def _tamper(statement: str, **params) -> None:
    db.session.execute(sa.text(statement), params)


@pytest.mark.parametrize(
    ("statement", "names"),
    [
        ("UPDATE ledger_lines SET amount = amount - 1 WHERE entry_seq = 3 AND amount > 0", 3),
        ("UPDATE ledger_lines SET kind = 'other' WHERE entry_seq = 2", 2),
        ("UPDATE ledger_entries SET memo = 'edited' WHERE seq = 4", 4),
        ("UPDATE ledger_entries SET posted_at = posted_at WHERE seq = 1", None),  # no change
        ("DELETE FROM ledger_lines WHERE entry_seq = 2", 2),
    ],
)
def test_verify_names_the_first_edited_entry_sqlite(app_ctx, shop_a, backend, statement, names):
    if backend != "sqlite":
        pytest.skip("on PostgreSQL the app role cannot edit ledger rows (tested below)")
    for n in range(5):
        _sale(shop_a.id, 100 + n, key=f"k{n}")
    _tamper(statement)
    found = verify_chain()
    if names is None:
        assert found.ok
    else:
        assert not found.ok
        assert found.first_broken_seq == names, found.message


def test_deleting_the_last_entries_is_found_sqlite(app_ctx, shop_a, backend):
    if backend != "sqlite":
        pytest.skip("on PostgreSQL the app role cannot delete ledger rows (tested below)")
    for n in range(3):
        _sale(shop_a.id, 100 + n, key=f"k{n}")
    _tamper("DELETE FROM ledger_lines WHERE entry_seq = 3")
    _tamper("DELETE FROM ledger_entries WHERE seq = 3")
    found = verify_chain()
    assert not found.ok
    assert "head" in found.message


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_lines SET amount = amount + 1",
        "DELETE FROM ledger_lines",
        "UPDATE ledger_entries SET memo = 'x'",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_lines CASCADE",
    ],
)
def test_the_app_role_cannot_change_posted_rows_postgresql(app_ctx, shop_a, backend, statement):
    if backend != "postgresql":
        pytest.skip("database protection is PostgreSQL's (SQLite: verify finds the change)")
    _sale(shop_a.id)
    with pytest.raises(sa.exc.DBAPIError) as refused, db.session.begin_nested():
        _tamper(statement)
    assert "immutable" in str(refused.value) or "permission denied" in str(refused.value)
    assert verify_chain().ok


def test_an_unbalanced_insert_fails_at_commit_postgresql(app_ctx, shop_a, backend):
    if backend != "postgresql":
        pytest.skip("the deferred balance trigger is PostgreSQL's")
    entry = _sale(shop_a.id)
    with pytest.raises(sa.exc.DBAPIError, match="does not balance"), db.session.begin_nested():
        db.session.add(
            LedgerLine(
                entry_id=entry.id,
                entry_seq=entry.seq,
                position=9,
                account=Account.COMMISSION,
                amount=5,
                kind="sneaky",
                posted_at=entry.posted_at,
            )
        )
        db.session.flush()
        db.session.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_verify_command_exits_non_zero_naming_the_entry(app, app_ctx, shop_a, backend):
    if backend != "sqlite":
        pytest.skip("edits as the app role are refused on PostgreSQL")
    for n in range(3):
        _sale(shop_a.id, 100 + n, key=f"k{n}")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["mall", "ledger", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 entries check out" in ok.output
    _tamper("UPDATE ledger_lines SET amount = amount * 2 WHERE entry_seq = 2")
    broken = runner.invoke(args=["mall", "ledger", "verify"])
    assert broken.exit_code == 1
    assert "entry 2" in broken.output


def test_the_console_shows_the_last_verification_and_warns_when_it_failed(
    app, client, operator, sign_in, shop_a, backend, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    for n in range(2):
        _sale(shop_a.id, 100 + n, key=f"k{n}")
    db.session.commit()
    sign_in(operator)
    assert "has not been verified yet" in client.get("/admin/money/reconciliation").text
    assert client.post("/admin/money/verify").status_code == 303
    page = client.get("/admin/money/reconciliation").text
    assert "Checked out" in page and "2 entries check out" in page
    assert "failed its verification" not in client.get("/admin/").text
    if backend == "sqlite":  # the app role cannot edit on PostgreSQL (see above)
        _tamper("UPDATE ledger_entries SET memo = 'edited' WHERE seq = 2")
        db.session.commit()
        client.post("/admin/money/verify")
        overview = client.get("/admin/").text
        assert "The ledger failed its verification" in overview
        assert "entry 2" in overview
