"""The operator's controls over paying shops: the mall-wide settings, a shop's reserve and hold.

Plain functions that flush and never commit; each change writes one audit event
and a change already in effect writes nothing and returns False.
"""

from __future__ import annotations

from uuid import UUID

from mall.extensions import db
from mall.ledger.connect import ensure_account
from mall.ledger.errors import LedgerError
from mall.ledger.models import PayoutAccount
from mall.ledger.payouts.balances import MINIMUM, payout_minimum
from mall.ledger.release import HOLDING_DAYS, MAX_HOLDING_DAYS, holding_days
from mall.money import max_minor
from tenants.audit import record_audit
from tenants.models import Tenant
from tenants.settings import put_setting

MAX_RESERVE_DAYS = 365


def update_payout_settings(
    *,
    holding: int,
    minimum: int,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Set the holding period (days) and the minimum payout (minor units); audited.

    A new holding period applies to orders not yet released.
    """
    if not 0 <= holding <= MAX_HOLDING_DAYS:
        raise LedgerError(f"The holding period is between 0 and {MAX_HOLDING_DAYS} days.")
    if not 0 <= minimum <= max_minor():
        raise LedgerError("The minimum payout is zero or more.")
    before = {"holding_days": holding_days(), "minimum": payout_minimum()}
    after = {"holding_days": holding, "minimum": minimum}
    if before == after:
        return False
    put_setting(HOLDING_DAYS, holding)
    put_setting(MINIMUM, minimum)
    record_audit(
        "payouts.settings_updated",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="settings",
        target_id="platform",
        details={key: [before[key], after[key]] for key in after if before[key] != after[key]},
    )
    return True


def set_shop_controls(
    shop: Tenant,
    *,
    reserve_bp: int,
    reserve_days: int,
    held: bool,
    hold_reason: str,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Set the shop's rolling reserve and whether its payouts are held; audited.

    The reserve applies to orders released from now on; amounts already held are
    given back on the date fixed when they were held (their own terms).
    """
    if not 0 <= reserve_bp <= 10_000:
        raise LedgerError("The reserve is between 0 and 100 percent.")
    if not 0 <= reserve_days <= MAX_RESERVE_DAYS:
        raise LedgerError(f"A reserve is held for 0 to {MAX_RESERVE_DAYS} days.")
    reason = hold_reason.strip()[:300]
    if held and not reason:
        raise LedgerError("Say why the payouts are held: the shop sees it.")
    account = ensure_account(shop.id)
    before = _controls(account)
    after = {
        "reserve_bp": reserve_bp,
        "reserve_days": reserve_days,
        "payouts_held": held,
        "hold_reason": reason if held else "",
    }
    if before == after:
        return False
    for key, value in after.items():
        setattr(account, key, value)
    db.session.flush()
    record_audit(
        "payouts.controls_updated",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="shop",
        target_id=shop.id,
        details={key: [before[key], after[key]] for key in after if before[key] != after[key]},
    )
    return True


def _controls(account: PayoutAccount) -> dict[str, object]:
    return {
        "reserve_bp": account.reserve_bp,
        "reserve_days": account.reserve_days,
        "payouts_held": account.payouts_held,
        "hold_reason": account.hold_reason,
    }
