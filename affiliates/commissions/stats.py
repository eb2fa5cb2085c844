"""A new commission counts in its affiliate's day at once: the dashboards read the rollups.

``conversions`` (tier-1 commissions made that day) and ``earned`` (tier 1 and 2) grow as
each commission is made, with one incrementing upsert in the payment's transaction; the
rollup job (``affiliates.tracking.rollups``) recounts the day after refunds and rejections.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.dialects import postgresql, sqlite

from affiliates.models import AffiliateCommission, AffiliateDailyStat
from mall.extensions import db


def count_commission(commission: AffiliateCommission, *, day: date) -> None:
    """Add ``commission`` to its affiliate's ``day``: a conversion (tier 1) and its amount."""
    conversions = 1 if commission.tier == 1 else 0
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(AffiliateDailyStat)
    statement = insert.values(
        affiliate_id=commission.affiliate_id,
        day=day,
        conversions=conversions,
        earned=commission.amount,
        # Not a rollup: the job must still roll up this day's clicks after midnight.
        rolled_at=datetime.combine(day, time.min, tzinfo=UTC),
    ).on_conflict_do_update(
        index_elements=["affiliate_id", "day"],
        set_={
            "conversions": AffiliateDailyStat.conversions + conversions,
            "earned": AffiliateDailyStat.earned + commission.amount,
        },
    )
    db.session.execute(statement)
