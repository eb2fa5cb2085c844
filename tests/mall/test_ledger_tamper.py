"""Tamper evidence on PostgreSQL with real commits: the owner can edit rows, ``verify`` finds it.

The app role may not UPDATE or DELETE ledger rows (a trigger refuses it; see
test_ledger.py); the tables' owner can, and the hash chain names the first
entry it changed. An entry whose lines do not sum to zero cannot be committed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.checkpoints import make_checkpoints
from mall.ledger.models import Account, EntryKind, LedgerLine
from mall.ledger.posting import credit, debit, post
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests import conftest
from tests.support.committed import PG_DUMP_MIGRATION_URL, committed_app_fixture, needs_committed_pg

pytestmark = needs_committed_pg
committed_app = committed_app_fixture()


@pytest.fixture(scope="module")
def posted(committed_app):
    """Five committed entries for one shop."""
    with committed_app.app_context():
        shop = create_shop("tamper", name="Tamper", status=TenantStatus.ACTIVE)
        for n in range(5):
            post(
                EntryKind.ADJUSTMENT,
                [
                    debit(Account.PROCESSOR, 100 + n),
                    credit(Account.SHOP_AVAILABLE, 100 + n, shop_id=shop.id),
                ],
                key=f"tamper-{n}",
                ref_type="test",
                ref_id=str(n),
                shop_id=shop.id,
            )
        db.session.commit()
        assert verify_chain().ok
    return committed_app


def as_owner(statement: str) -> None:
    engine = sa.create_engine(conftest._psycopg(PG_DUMP_MIGRATION_URL))
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


@pytest.mark.parametrize(
    ("edit", "undo", "broken"),
    [
        (
            "UPDATE ledger_lines SET amount = amount + 1 WHERE entry_seq = 3 AND amount > 0",
            "UPDATE ledger_lines SET amount = amount - 1 WHERE entry_seq = 3 AND amount > 0",
            3,
        ),
        (
            "UPDATE ledger_entries SET memo = 'moved' WHERE seq = 2",
            "UPDATE ledger_entries SET memo = '' WHERE seq = 2",
            2,
        ),
        (
            "UPDATE ledger_lines SET account = 'commission_revenue' "
            "WHERE entry_seq = 4 AND amount > 0",
            "UPDATE ledger_lines SET account = 'processor' WHERE entry_seq = 4 AND amount > 0",
            4,
        ),
    ],
)
def test_an_edit_by_the_owner_is_named_by_verify(posted, edit, undo, broken):
    as_owner(edit)
    try:
        with posted.app_context():
            found = verify_chain()
            assert not found.ok
            assert found.first_broken_seq == broken, found.message
            result = posted.test_cli_runner().invoke(args=["mall", "ledger", "verify"])
            assert result.exit_code == 1
            assert f"entry {broken}" in result.output
    finally:
        as_owner(undo)
    with posted.app_context():
        assert verify_chain().ok


def test_the_app_role_cannot_update_committed_rows(posted):
    with posted.app_context():
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            db.session.execute(sa.text("UPDATE ledger_lines SET amount = 0"))
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            db.session.execute(sa.text("DELETE FROM ledger_entries WHERE seq = 5"))
        db.session.rollback()
        assert verify_chain().ok


def test_an_unbalanced_entry_cannot_be_committed(posted):
    with posted.app_context():
        entry_line = db.session.scalar(sa.select(LedgerLine).where(LedgerLine.entry_seq == 1))
        db.session.add(
            LedgerLine(
                entry_id=entry_line.entry_id,
                entry_seq=1,
                position=99,
                account=Account.COMMISSION,
                amount=1,
                kind="sneaky",
                posted_at=entry_line.posted_at,
            )
        )
        with pytest.raises(sa.exc.DBAPIError, match="does not balance"):
            db.session.commit()
        db.session.rollback()
        assert verify_chain().ok


def test_a_checkpoint_is_as_immutable_as_the_lines_and_checked_by_verify(posted):
    with posted.app_context():
        assert make_checkpoints() > 0
        db.session.commit()
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            db.session.execute(sa.text("UPDATE ledger_checkpoints SET balance = 0"))
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            db.session.execute(sa.text("DELETE FROM ledger_checkpoints"))
        db.session.rollback()
        assert verify_chain().ok
    edit = "UPDATE ledger_checkpoints SET balance = balance + 1 WHERE account = 'processor'"
    as_owner(edit)
    try:
        with posted.app_context():
            found = verify_chain()
            assert not found.ok and "checkpoint of the platform on processor" in found.message
    finally:
        as_owner(edit.replace("+ 1", "- 1"))
    with posted.app_context():
        assert verify_chain().ok
