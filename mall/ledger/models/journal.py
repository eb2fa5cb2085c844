"""The ledger: journal entries and their lines, the chain's head, verifications, commission.

Platform tables (a journal entry spans the platform and several shops):

- ``ledger_entries``: one business event each (a checkout's payment for one shop,
  a refund, a payout…), unique per idempotency key, numbered by ``seq`` and
  chained: ``hash`` = SHA-256 over the entry's content, its lines and the
  previous entry's hash (``mall.ledger.chain``).
- ``ledger_lines``: signed amounts in minor units (debit positive, credit
  negative) on an account, for a shop or the platform; an entry's lines sum to
  zero (the service checks it; on PostgreSQL a deferred constraint trigger too).
- ``ledger_head``: the last ``seq`` and hash, one row; posting locks it, so
  entries are chained one after another.
- ``ledger_verifications``: each run of ``flask mall ledger verify``.
- ``ledger_checkpoints``: a shop's (or the platform's) sum on an account up to an
  entry, so a balance reads the newest checkpoint and the few lines after it
  (``mall.ledger.checkpoints``); ``verify`` recomputes every one.
Posted entries and lines are never updated or deleted: on PostgreSQL a trigger
refuses it to every role but the tables' owner (the migration creates it), and
``verify`` finds any change the owner makes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT


class Account(StrEnum):
    """The ledger's accounts. ``SHOP_*`` and ``PAYOUTS_IN_TRANSIT`` are kept per shop."""

    # The platform's
    PROCESSOR = "processor"  # what the payment processor holds for the mall (clearing)
    COMMISSION = "commission_revenue"
    PLATFORM_DISCOUNTS = "platform_discounts"  # coupons the platform funds
    TAX_PAYABLE = "tax_payable"  # tax the platform collects (facilitator; tax on its fee)
    PROCESSOR_FEES = "processor_fees"
    ADJUSTMENTS = "adjustments"  # the other side of an operator's manual adjustment
    UNATTRIBUTED = "unattributed_refunds"  # refunds made outside Mall, not yet assigned
    DISPUTES = "disputes_outstanding"  # money the processor withdrew for open disputes
    # Each shop's
    SHOP_PENDING = "shop_pending"  # earned, inside the holding period
    SHOP_AVAILABLE = "shop_available"  # can be paid out (negative: the shop owes)
    SHOP_RESERVE = "shop_reserve"  # held back by a rolling reserve
    SHOP_DISPUTED = "shop_disputed"  # frozen while a dispute is open
    PAYOUTS_IN_TRANSIT = "payouts_in_transit"
    # Each shop's own purchasing books (``vendors.bills``): not money the mall owes the shop
    SHOP_PURCHASES = "shop_purchases"  # what the shop bought from its vendors (debit)
    SHOP_VENDOR_PAYABLE = "shop_vendor_payable"  # what the shop owes its vendors (credit)
    SHOP_BANK = "shop_bank"  # the shop's own money that paid its vendors (credit)
    # Each affiliate's (the affiliate program, ``affiliates/``)
    AFFILIATE_PENDING = "affiliate_pending"  # earned, inside the holding period
    AFFILIATE_AVAILABLE = "affiliate_available"  # approved: paid in the next payout
    AFFILIATE_IN_TRANSIT = "affiliate_in_transit"  # in a payout not yet confirmed paid

    @property
    def per_shop(self) -> bool:
        return self.value.startswith("shop_") or self is Account.PAYOUTS_IN_TRANSIT

    @property
    def per_affiliate(self) -> bool:
        return self.value.startswith("affiliate_")


class EntryKind(StrEnum):
    PAYMENT = "payment"  # a shop order paid: sale, discounts, shipping, tax, commission
    REFUND = "refund"
    RELEASE = "release"  # the holding period ended: pending -> available
    DISPUTE = "dispute"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    RESERVE = "reserve"
    RESERVE_RELEASE = "reserve_release"
    PAYOUT = "payout"
    PAYOUT_PAID = "payout_paid"
    PAYOUT_FAILED = "payout_failed"
    TRANSFER_REVERSAL = "transfer_reversal"  # money taken back from a shop's transfer
    FEE = "fee"
    UNATTRIBUTED_REFUND = "unattributed_refund"
    ATTRIBUTION = "attribution"  # an unattributed refund assigned to a shop order
    ADJUSTMENT = "adjustment"
    # Affiliate commissions (``affiliates.commissions``): earned, approved, reduced, clawed back
    AFFILIATE_COMMISSION = "affiliate_commission"
    AFFILIATE_APPROVAL = "affiliate_approval"
    AFFILIATE_REVERSAL = "affiliate_reversal"
    # A shop's purchasing books (``vendors.bills``)
    VENDOR_BILL = "vendor_bill"  # a bill opened: purchases / vendor payable
    VENDOR_BILL_VOID = "vendor_bill_void"  # an opened bill voided: the reverse
    VENDOR_CREDIT = "vendor_credit"  # a vendor's credit note: part of a bill reversed
    BILL_PAYMENT = "bill_payment"  # the shop paid a vendor: vendor payable / bank


class LedgerEntry(PlatformModel, db.Model):
    """One business event, posted once (per ``idempotency_key``) and never changed."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, 24))
    ref_type: Mapped[str] = mapped_column(sa.String(24))  # checkout, order, refund, payout…
    ref_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("tenants.id"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    memo: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[UUID | None]  # no foreign key: a deleted user must not touch the ledger
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    lines: Mapped[list[LedgerLine]] = relationship(
        order_by="LedgerLine.position", back_populates="entry"
    )

    __table_args__ = (
        sa.Index("ix_ledger_entries_ref", "ref_type", "ref_id"),
        sa.Index("ix_ledger_entries_shop_id_seq", "shop_id", "seq"),
        sa.Index("ix_ledger_entries_posted_at", "posted_at"),
    )


# The kinds of a shop's weekly net sales (its Money page's chart), indexed on their own.
SALES_KINDS = ("sale", "discount_shop", "refund")


class LedgerLine(PlatformModel, db.Model):
    """A signed amount on one account (debit > 0, credit < 0)."""

    __tablename__ = "ledger_lines"

    entry_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ledger_entries.id"))
    entry_seq: Mapped[int] = mapped_column(sa.BigInteger)  # the entry's, for ordered reads
    position: Mapped[int]
    account: Mapped[Account] = mapped_column(str_enum(Account, 24))
    shop_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("tenants.id"))
    amount: Mapped[int] = mapped_column(AMOUNT)
    kind: Mapped[str] = mapped_column(sa.String(32))  # sale, commission, refund… (statements)
    order_id: Mapped[UUID | None]  # the shop order it came from, if any
    posted_at: Mapped[datetime]  # the entry's
    # The affiliate of a line on an affiliate's account. No foreign key: the affiliate
    # program is a higher layer, and a posted line never changes.
    affiliate_id: Mapped[UUID | None]

    entry: Mapped[LedgerEntry] = relationship(back_populates="lines")

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "position"),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        # A shop's statement and balances: its lines on an account, in posting order.
        sa.Index("ix_ledger_lines_shop_id_account_entry_seq", "shop_id", "account", "entry_seq"),
        sa.Index("ix_ledger_lines_shop_id_entry_seq", "shop_id", "entry_seq"),
        sa.Index("ix_ledger_lines_order_id_account", "order_id", "account"),
        sa.Index("ix_ledger_lines_account_posted_at", "account", "posted_at"),
        # An affiliate's balances and statement (few lines each: no checkpoints yet).
        sa.Index(
            "ix_ledger_lines_affiliate_id_account_entry_seq",
            "affiliate_id",
            "account",
            "entry_seq",
            postgresql_where=sa.text("affiliate_id IS NOT NULL"),
            sqlite_where=sa.text("affiliate_id IS NOT NULL"),
        ),
        # The weekly chart: a shop's sales lines by time, read from the index alone.
        sa.Index(
            "ix_ledger_lines_shop_id_posted_at_sales",
            "shop_id",
            "posted_at",
            postgresql_include=["kind", "amount"],
            postgresql_where=sa.text("kind IN ('sale', 'discount_shop', 'refund')"),
            sqlite_where=sa.text("kind IN ('sale', 'discount_shop', 'refund')"),
        ),
    )


class LedgerHead(db.Model):
    """The chain's end: the last entry's number and hash (one row, locked while posting)."""

    __tablename__ = "ledger_head"

    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True, default="main")
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))


class LedgerCheckpoint(PlatformModel, db.Model):
    """The sum of a shop's (``shop_id`` None: the platform's) lines on ``account`` up to and
    including entry ``upto_seq``. Made once, never changed (like the lines it sums)."""

    __tablename__ = "ledger_checkpoints"

    shop_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("tenants.id"))
    account: Mapped[Account] = mapped_column(str_enum(Account, 24))
    upto_seq: Mapped[int] = mapped_column(sa.BigInteger)
    balance: Mapped[int] = mapped_column(AMOUNT)
    made_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # A shop's newest checkpoint (at or before an entry), and the newest of all.
        sa.Index("ix_ledger_checkpoints_shop_id_upto_seq", "shop_id", "upto_seq"),
        sa.Index("ix_ledger_checkpoints_upto_seq", "upto_seq"),
    )


class LedgerVerification(PlatformModel, db.Model):
    """One run of the chain and balance verification, and what it found."""

    __tablename__ = "ledger_verifications"

    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    entries: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    first_broken_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
