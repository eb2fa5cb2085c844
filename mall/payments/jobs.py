"""The payments' periodic job: card details left past their deadline are deleted."""

from __future__ import annotations

from mall.jobs import job


@job(queue="maintenance", retries=0)
def purge_overdue_offline_cards() -> int:
    """Delete offline cards older than ``OFFLINE_CARD_DEADLINE_HOURS`` and cancel their orders."""
    from mall.payments.offline_cards import purge_overdue_cards

    return purge_overdue_cards()
