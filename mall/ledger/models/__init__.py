"""The ledger's tables: the journal, commission, payouts, disputes and reconciliation."""

from __future__ import annotations

from mall.ledger.models.commission import CommissionRate, OrderCommission
from mall.ledger.models.disputes import (
    Dispute,
    DisputeShare,
    DisputeStatus,
    ReconciliationDifference,
    ReconciliationRun,
    UnattributedRefund,
)
from mall.ledger.models.journal import (
    SALES_KINDS,
    Account,
    EntryKind,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerLine,
    LedgerVerification,
)
from mall.ledger.models.payouts import (
    BatchStatus,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutItem,
    PayoutMethod,
    PayoutStatus,
    TransferReversal,
)

__all__ = [
    "SALES_KINDS",
    "Account",
    "BatchStatus",
    "CommissionRate",
    "Dispute",
    "DisputeShare",
    "DisputeStatus",
    "EntryKind",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerLine",
    "LedgerVerification",
    "OrderCommission",
    "Payout",
    "PayoutAccount",
    "PayoutBatch",
    "PayoutItem",
    "PayoutMethod",
    "PayoutStatus",
    "ReconciliationDifference",
    "ReconciliationRun",
    "TransferReversal",
    "UnattributedRefund",
]
