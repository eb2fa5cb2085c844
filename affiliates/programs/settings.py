"""The mall program's settings: platform settings the operator changes in the console.

Each is one ``PlatformSetting`` key (``affiliates.<name>``); a key never set, or holding
something that is not a valid value, reads as its default. ``program_settings()`` reads
them all in one query.

The holding period is never shorter than the mall's refund hold: the days a shop's
sale money stays pending before it can be paid out (``ledger.holding_days``,
``mall.ledger.release``). Returns windows are per shop (up to a year), so they cannot be
a floor for everyone; a refund after a commission was paid makes a clawback instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from affiliates.errors import AffiliateError
from affiliates.models import RateKind
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.ledger.release import DEFAULT_HOLDING_DAYS, MAX_HOLDING_DAYS
from mall.ledger.release import HOLDING_DAYS as LEDGER_HOLDING_DAYS
from mall.money import format_money, max_minor
from tenants.audit import record_audit
from tenants.models import PlatformSetting
from tenants.settings import put_setting

PREFIX = "affiliates."
MAX_BP = 10_000
MAX_COOKIE_DAYS = 365
MAX_BURST_CLICKS = 10_000
MAX_BURST_MINUTES = 24 * 60


class Attribution(StrEnum):
    LAST = "last"  # the newest eligible click wins
    FIRST = "first"  # the oldest eligible click still inside the cookie's lifetime wins


@dataclass(frozen=True)
class ProgramSettings:
    """The mall program, defaults filled in. Amounts in minor units, rates in basis points."""

    rate_kind: RateKind = RateKind.PERCENT  # the mall default rate
    rate_bp: int = 500
    rate_fixed: int = 0  # per unit sold
    cookie_days: int = 30
    attribution: Attribution = Attribution.LAST
    holding_days: int = 30  # pending -> approved; never below the ledger's holding days
    min_payout: int = 5000
    tier2_enabled: bool = False
    tier2_bp: int = 1000  # the recruiter's share of the tier-1 commission
    review_above: int = 50_000  # commissions above it wait for the operator; 0: never
    burst_clicks: int = 10  # more clicks than this from one IP index…
    burst_minutes: int = 60  # …within this many minutes are discounted

    @property
    def rate_text(self) -> str:
        """The mall default rate in words: ``5%`` or ``$2.00 per item``."""
        if self.rate_kind is RateKind.FIXED:
            return f"{format_money(self.rate_fixed)} per item"
        return f"{percent_text(self.rate_bp)}%"


DEFAULTS = ProgramSettings()
NAMES = tuple(field.name for field in fields(ProgramSettings))
KEYS = {name: PREFIX + name for name in NAMES}


def _int(value: Any, low: int, high: int) -> int | None:
    """``value`` when it is a whole number in ``low..high`` (a bool is not), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _read(name: str, value: Any) -> Any:
    """A stored value as the setting's type, or None when it is not a valid one."""
    if name == "rate_kind":
        return RateKind(value) if value in {kind.value for kind in RateKind} else None
    if name == "attribution":
        return Attribution(value) if value in {rule.value for rule in Attribution} else None
    if name == "tier2_enabled":
        return value if isinstance(value, bool) else None
    low, high = LIMITS[name]
    return _int(value, low, high)


def _stored() -> dict[str, Any]:
    """Every affiliate key and the ledger's holding days, in one query."""
    keys = [*KEYS.values(), LEDGER_HOLDING_DAYS]
    return dict(
        db.session.execute(
            sa.select(PlatformSetting.key, PlatformSetting.value).where(
                PlatformSetting.key.in_(keys)
            )
        ).all()
    )


def _floor(stored: Mapping[str, Any]) -> int:
    """The fewest holding days allowed: the ledger's (the shops' refund hold)."""
    days = _int(stored.get(LEDGER_HOLDING_DAYS, DEFAULT_HOLDING_DAYS), 0, MAX_HOLDING_DAYS)
    return DEFAULT_HOLDING_DAYS if days is None else days


def program_settings() -> ProgramSettings:
    """The mall program's settings (one query), defaults for what was never set."""
    return _settings_from(_stored())


def _settings_from(stored: Mapping[str, Any]) -> ProgramSettings:
    values: dict[str, Any] = {}
    for name in NAMES:
        value = _read(name, stored.get(KEYS[name]))
        if value is not None:
            values[name] = value
    found = replace(DEFAULTS, **values)
    # The operator may have lengthened the ledger's hold since: the floor still holds.
    return replace(found, holding_days=max(found.holding_days, _floor(stored)))


def holding_floor() -> int:
    """The fewest holding days the operator may choose (the ledger's holding days)."""
    return _floor(_stored())


# ---------------------------------------------------------------- saving

# Whole-number settings: (lowest, highest); amounts' highest is the money maximum.
LIMITS: dict[str, tuple[int, int]] = {
    "rate_bp": (0, MAX_BP),
    "rate_fixed": (0, 10**13),
    "cookie_days": (1, MAX_COOKIE_DAYS),
    "holding_days": (0, MAX_HOLDING_DAYS),
    "min_payout": (1, 10**13),
    "tier2_bp": (0, MAX_BP),
    "review_above": (0, 10**13),
    "burst_clicks": (1, MAX_BURST_CLICKS),
    "burst_minutes": (1, MAX_BURST_MINUTES),
}
MESSAGES = {
    "rate_bp": "Enter the mall rate as a percentage between 0 and 100.",
    "cookie_days": f"Enter the cookie's lifetime as 1 to {MAX_COOKIE_DAYS} days.",
    "holding_days": f"Enter the holding period as at most {MAX_HOLDING_DAYS} days.",
    "min_payout": "Enter a minimum payout above zero.",
    "tier2_bp": "Enter the second-tier share as a percentage between 0 and 100.",
    "burst_clicks": f"Enter the burst rule's clicks as 1 to {MAX_BURST_CLICKS:,}.",
    "burst_minutes": f"Enter the burst rule's window as 1 to {MAX_BURST_MINUTES:,} minutes.",
}
AMOUNTS = ("rate_fixed", "min_payout", "review_above")


def _check(name: str, value: Any, *, floor: int) -> Any:
    """``value`` for setting ``name``, or AffiliateError saying what is wrong with it."""
    if name == "rate_kind":
        try:
            return RateKind(value)
        except ValueError:
            raise AffiliateError(
                "Choose a percentage or a fixed amount for the mall rate."
            ) from None
    if name == "attribution":
        try:
            return Attribution(value)
        except ValueError:
            raise AffiliateError("Choose the first or the last click.") from None
    if name == "tier2_enabled":
        if not isinstance(value, bool):
            raise AffiliateError("Say whether the second tier is on.")
        return value
    low, high = LIMITS[name]
    if name in AMOUNTS:
        high = min(high, max_minor())
    if _int(value, low, high) is None:
        if name in AMOUNTS and isinstance(value, int) and not isinstance(value, bool):
            if value > high:
                raise AffiliateError(f"Enter an amount of at most {format_money(high)}.")
            if name == "min_payout":
                raise AffiliateError(MESSAGES["min_payout"])
            raise AffiliateError("Enter an amount of zero or more.")
        raise AffiliateError(MESSAGES.get(name, "Enter a whole number."))
    if name == "holding_days" and value < floor:
        raise AffiliateError(
            f"Hold commissions at least {floor} days: the mall holds shops' sales that long "
            "for refunds."
        )
    return value


def _shown(name: str, value: Any) -> Any:
    """A value as the audit log shows it: a percentage, an amount in minor units, a word."""
    if name.endswith("_bp"):
        return f"{percent_text(value)}%"
    return value.value if isinstance(value, StrEnum) else value


def save_program_settings(
    values: Mapping[str, Any], *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Change the mall program's settings named in ``values``; audited.

    Validates every value (AffiliateError with the reason); the others keep theirs.
    Saving what is already in effect changes nothing, writes no audit event and
    returns False. Applies to sales from now on: commissions keep their frozen rate.
    """
    unknown = sorted(set(values) - set(NAMES))
    if unknown:
        raise AffiliateError(f"Unknown setting: {', '.join(unknown)}.")
    stored = _stored()
    floor = _floor(stored)
    current = _settings_from(stored)
    checked = {name: _check(name, value, floor=floor) for name, value in values.items()}
    wanted = replace(current, **checked)
    if wanted.rate_kind is RateKind.FIXED and wanted.rate_fixed <= 0:
        raise AffiliateError("Enter the fixed amount the mall rate pays per item.")
    old, new = asdict(current), asdict(wanted)
    changed = {name: (old[name], new[name]) for name in NAMES if old[name] != new[name]}
    # A stored value that reads as its default still counts as unchanged: nothing to write.
    if not changed:
        return False
    for name, (_, after) in changed.items():
        put_setting(KEYS[name], after.value if isinstance(after, StrEnum) else after)
    record_audit(
        "affiliates.settings_updated",
        actor_id=actor_id,
        target_type="settings",
        target_id="affiliates",
        details={
            "changed": {
                name: [_shown(name, before), _shown(name, after)]
                for name, (before, after) in changed.items()
            }
        },
        ip_address=ip_address,
    )
    return True
