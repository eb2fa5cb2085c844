"""Balance checkpoints: balances read from the newest checkpoint and the lines after it are the
sums of every line; a checkpoint is made once, and ``verify`` recomputes each one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.checkpoints import ledger_sums, make_checkpoints
from mall.ledger.models import Account, EntryKind, LedgerCheckpoint, LedgerLine
from mall.ledger.posting import balance, balances, credit, debit, post

SHOP_ACCOUNTS = [Account.SHOP_PENDING, Account.SHOP_AVAILABLE]


def _move(shop_id, amount: int, key: str, *, account: Account = Account.SHOP_AVAILABLE):
    return post(
        EntryKind.ADJUSTMENT,
        [debit(Account.PROCESSOR, amount), credit(account, amount, shop_id=shop_id)],
        key=key,
        ref_type="test",
        ref_id=key,
        shop_id=shop_id,
    )


def _summed(shop_id, account: Account, upto_seq: int | None = None) -> int:
    """The balance the slow way: every line."""
    query = sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
        LedgerLine.shop_id == shop_id, LedgerLine.account == account
    )
    if upto_seq is not None:
        query = query.where(LedgerLine.entry_seq <= upto_seq)
    return int(db.session.scalar(query))


def _count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(LedgerCheckpoint)))


def test_balances_are_the_same_before_and_after_checkpoints(app_ctx, shop_a, shop_b):
    for n in range(4):
        _move(shop_a.id, 100 + n, f"a{n}")
        _move(shop_b.id, 10, f"b{n}", account=Account.SHOP_PENDING)
    before = balances(shop_a.id, SHOP_ACCOUNTS), balances(shop_b.id, SHOP_ACCOUNTS)
    assert before[0][Account.SHOP_AVAILABLE] == -406 and before[1][Account.SHOP_PENDING] == -40

    made = make_checkpoints()
    # shop A: available; shop B: pending; the platform: processor.
    assert made == 3 and _count() == 3
    assert (balances(shop_a.id, SHOP_ACCOUNTS), balances(shop_b.id, SHOP_ACCOUNTS)) == before

    _move(shop_a.id, 7, "after", account=Account.SHOP_PENDING)  # an account new since the round
    assert balance(Account.SHOP_AVAILABLE, shop_id=shop_a.id) == -406
    assert balance(Account.SHOP_PENDING, shop_id=shop_a.id) == -7
    assert balances(None, [Account.PROCESSOR]) == {Account.PROCESSOR: 406 + 40 + 7}
    assert verify_chain().ok


def test_a_second_run_makes_nothing_and_a_quiet_shop_keeps_its_round(app_ctx, shop_a, shop_b):
    _move(shop_a.id, 100, "a1")
    _move(shop_b.id, 50, "b1")
    assert make_checkpoints() == 3
    assert make_checkpoints() == 0  # nothing posted since: the same round, not a second one
    _move(shop_a.id, 1, "a2")
    assert make_checkpoints() == 2  # shop A and the platform; shop B has not moved
    assert _count() == 5
    assert balance(Account.SHOP_AVAILABLE, shop_id=shop_b.id) == -50
    assert balance(Account.SHOP_AVAILABLE, shop_id=shop_a.id) == -101
    assert verify_chain().ok


def test_a_balance_up_to_an_entry_uses_the_checkpoint_before_it(app_ctx, shop_a):
    entries = [_move(shop_a.id, 10 ** (n % 4), f"a{n}") for n in range(6)]
    make_checkpoints()  # at entry 6
    entries += [_move(shop_a.id, 5, f"later{n}") for n in range(3)]
    make_checkpoints()  # at entry 9
    for entry in entries:
        expected = _summed(shop_a.id, Account.SHOP_AVAILABLE, entry.seq)
        assert ledger_sums(shop_a.id, upto_seq=entry.seq) == {Account.SHOP_AVAILABLE: expected}


def test_reading_balances_is_two_queries_whatever_the_lines(app_ctx, shop_a, count_queries):
    _move(shop_a.id, 1, "first")
    with count_queries() as one:
        balances(shop_a.id, SHOP_ACCOUNTS)
    for n in range(30):
        _move(shop_a.id, 1, f"more{n}")
    make_checkpoints()
    with count_queries() as many:
        assert balances(shop_a.id, SHOP_ACCOUNTS)[Account.SHOP_AVAILABLE] == -31
    assert one.count == many.count == 2  # the newest round's number, then the sums


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("post"), st.integers(1, 10**9), st.sampled_from(SHOP_ACCOUNTS)),
            st.tuples(st.just("checkpoint"), st.just(0), st.just(Account.SHOP_PENDING)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_mix_of_postings_and_checkpoints_reads_the_sums_of_the_lines(app_ctx, shop_a, steps):
    with db.session.begin_nested() as savepoint:
        for n, (action, amount, account) in enumerate(steps):
            if action == "post":
                _move(shop_a.id, amount, f"h{n}", account=account)
            else:
                make_checkpoints()
        for account in SHOP_ACCOUNTS:
            assert balance(account, shop_id=shop_a.id) == _summed(shop_a.id, account)
        assert verify_chain().ok
        savepoint.rollback()


def test_verify_names_a_checkpoint_that_does_not_match_its_lines(app, app_ctx, shop_a, backend):
    if backend != "sqlite":
        pytest.skip("the app role cannot change a checkpoint on PostgreSQL (test_ledger_tamper)")
    for n in range(3):
        _move(shop_a.id, 100, f"a{n}")
    make_checkpoints()
    _move(shop_a.id, 1, "after")
    db.session.execute(
        sa.update(LedgerCheckpoint)
        .where(LedgerCheckpoint.shop_id == shop_a.id)
        .values(balance=LedgerCheckpoint.balance - 1)
    )
    found = verify_chain()
    assert not found.ok and found.first_broken_seq == 3
    assert f"checkpoint of shop {shop_a.id} on shop_available at entry 3" in found.message
    assert "says -301, its lines sum to -300" in found.message


def test_the_checkpoint_command_says_what_it_made(app, app_ctx, shop_a):
    runner = app.test_cli_runner()
    assert "No balance moved" in runner.invoke(args=["mall", "ledger", "checkpoint"]).output
    _move(shop_a.id, 100, "a1")
    db.session.commit()
    result = runner.invoke(args=["mall", "ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "2 balance checkpoints made." in result.output
    assert "No balance moved" in runner.invoke(args=["mall", "ledger", "checkpoint"]).output


def test_a_backfill_makes_a_round_per_period_of_history_then_one_at_the_end(
    app, app_ctx, shop_a, monkeypatch
):
    from datetime import timedelta

    from mall.db import utcnow
    from mall.ledger import posting
    from mall.ledger.checkpoints import backfill_checkpoints

    start = utcnow() - timedelta(days=10)
    entries = []
    for n in range(4):  # posted 10, 7, 4 and 1 days ago
        monkeypatch.setattr(posting, "utcnow", lambda n=n: start + timedelta(days=3 * n))
        entries.append(_move(shop_a.id, 10 + n, f"old{n}"))
    made = backfill_checkpoints(every_days=3)
    rounds = sorted(set(db.session.scalars(sa.select(LedgerCheckpoint.upto_seq))))
    assert rounds == [1, 2, 3, 4]  # each period's last entry (the last at the end)
    assert made == 2 * 4  # shop A's account and the platform's, per round
    for entry in entries:
        expected = _summed(shop_a.id, Account.SHOP_AVAILABLE, entry.seq)
        assert ledger_sums(shop_a.id, upto_seq=entry.seq) == {Account.SHOP_AVAILABLE: expected}
    assert backfill_checkpoints(every_days=3) == 0  # once
    assert verify_chain().ok


def test_verify_names_a_round_with_a_row_missing(app, app_ctx, shop_a, backend):
    if backend != "sqlite":
        pytest.skip("the app role cannot delete a checkpoint on PostgreSQL (test_ledger_tamper)")
    _move(shop_a.id, 100, "a1")
    _move(shop_a.id, 5, "p1", account=Account.SHOP_PENDING)
    make_checkpoints()
    db.session.execute(
        sa.delete(LedgerCheckpoint).where(
            LedgerCheckpoint.shop_id == shop_a.id,
            LedgerCheckpoint.account == Account.SHOP_AVAILABLE,
        )
    )
    found = verify_chain()
    assert not found.ok and found.first_broken_seq == 2
    assert f"round of shop {shop_a.id} at entry 2 has no row for shop_available" in found.message
