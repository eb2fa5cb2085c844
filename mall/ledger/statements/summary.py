"""A shop's balances by account, and whether it can be paid (and what it must do if not).

Whether a shop can be paid, and the minimum payout, are the payout run's own
rules (``mall.ledger.connect.payout_state``, ``mall.ledger.payouts.payout_minimum``).

Signs: the ledger stores what the mall owes a shop as credits (negative); the
shop is shown the negation, so money it earned is positive. ``money_summary``
reads platform rows only (ledger lines and the payout account by ``shop_id``),
so the operator's pages may call it for any shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from mall.ledger.connect import Route, account_of, payout_state
from mall.ledger.models import Account, PayoutAccount, PayoutMethod
from mall.ledger.payouts import payout_minimum
from mall.ledger.posting import balances
from mall.ledger.release import DEFAULT_HOLDING_DAYS, holding_days

SHOP_ACCOUNTS = (
    Account.SHOP_PENDING,
    Account.SHOP_AVAILABLE,
    Account.SHOP_RESERVE,
    Account.SHOP_DISPUTED,
    Account.PAYOUTS_IN_TRANSIT,
)
ACCOUNT_LABELS = {
    Account.SHOP_PENDING: "Pending",
    Account.SHOP_AVAILABLE: "Available",
    Account.SHOP_RESERVE: "Reserve",
    Account.SHOP_DISPUTED: "Disputed",
    Account.PAYOUTS_IN_TRANSIT: "Payouts on their way",
}


def owed(ledger_amount: int) -> int:
    """A ledger sum on a shop's account as the shop reads it (credits are what it is owed)."""
    return -ledger_amount


# ---------------------------------------------------------------- the summary


@dataclass(frozen=True)
class MoneySummary:
    """What the mall owes the shop, by account, and whether it can be paid."""

    pending: int  # earned, held until fulfilled and the holding period is over
    available: int  # can be paid out (negative: the shop owes the mall, netted from sales)
    reserve: int
    disputed: int
    in_transit: int  # payouts sent, not yet paid
    minimum_payout: int
    method: PayoutMethod  # Stripe transfers (a connected account) or the operator's manual batches
    blocked: bool
    must_do: list[str] = field(default_factory=list)  # what unblocks payouts
    # Days from fulfilment (from payment: nothing to ship) until pending money is available.
    holding_days: int = DEFAULT_HOLDING_DAYS

    @property
    def total(self) -> int:
        """Everything the mall owes the shop, wherever it sits."""
        return self.pending + self.available + self.reserve + self.disputed + self.in_transit

    @property
    def debt(self) -> int:
        """What the shop owes the mall: more was taken from its available balance than it held
        (a refund or chargeback after the money was paid out, an operator's adjustment…).
        The mall recovers it from the shop's next sales before paying it anything."""
        return max(0, -self.available)

    @property
    def payable(self) -> bool:
        """The next payout run would pay the available balance."""
        return not self.blocked and self.available >= max(1, self.minimum_payout)

    def ledger_balance(self, account: Account | None = None) -> int:
        """The ledger's sum (credits negative) over every account, or ``account``'s."""
        if account is None:
            return -self.total
        return -{
            Account.SHOP_PENDING: self.pending,
            Account.SHOP_AVAILABLE: self.available,
            Account.SHOP_RESERVE: self.reserve,
            Account.SHOP_DISPUTED: self.disputed,
            Account.PAYOUTS_IN_TRANSIT: self.in_transit,
        }[account]


def blocking_reasons(account: PayoutAccount | None) -> list[str]:
    """Why the shop cannot be paid now, in words it can act on (empty: it can be paid).

    The decision is the payout run's own (``mall.ledger.connect.payout_state``), so
    the Money page never says "payable" about a shop the run would skip.
    """
    state = payout_state(account)
    if state.route is Route.HELD and account is not None:
        why = account.hold_reason.strip() or "no reason was given"
        return [f"The mall holds your payouts ({why}). Contact the mall to lift the hold."]
    return [] if state.payable else list(state.reasons)


def money_summary(shop_id: UUID) -> MoneySummary:
    """The shop's balances (one query), its payout account, the minimum payout and the holding
    period (one each)."""
    sums = balances(shop_id, SHOP_ACCOUNTS)
    account = account_of(shop_id)
    reasons = blocking_reasons(account)
    connected = account is not None and bool(account.stripe_account_id)
    return MoneySummary(
        pending=owed(sums[Account.SHOP_PENDING]),
        available=owed(sums[Account.SHOP_AVAILABLE]),
        reserve=owed(sums[Account.SHOP_RESERVE]),
        disputed=owed(sums[Account.SHOP_DISPUTED]),
        in_transit=owed(sums[Account.PAYOUTS_IN_TRANSIT]),
        minimum_payout=payout_minimum(),
        method=PayoutMethod.STRIPE if connected else PayoutMethod.MANUAL,
        blocked=bool(reasons),
        must_do=reasons,
        holding_days=holding_days(),
    )
