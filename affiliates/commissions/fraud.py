"""Fraud signals on a new commission, shown to the operator as flags (reasons).

A burst: the winning click came from an IP index (never the address) that clicked more
than ``burst_clicks`` times within ``burst_minutes`` before it, any affiliate's links.
The click is found by its affiliate and time (the cookie keeps the time in whole
seconds); two indexed queries. A flag does not hold the commission: the review amount
does that; the rollups discount the burst's clicks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from affiliates.models import AffiliateClick
from affiliates.programs.settings import ProgramSettings
from mall.extensions import db

BURST = "burst of clicks from one address"
SLACK = timedelta(seconds=2)  # the cookie's whole seconds against the row's time


def is_burst(affiliate_id: UUID, clicked_at: datetime | None, *, settings: ProgramSettings) -> bool:
    """The click of ``affiliate_id`` at ``clicked_at`` came in a burst from one IP index."""
    if clicked_at is None:
        return False
    address = db.session.scalar(
        sa.select(AffiliateClick.ip_index)
        .where(
            AffiliateClick.affiliate_id == affiliate_id,
            AffiliateClick.clicked_at.between(clicked_at - SLACK, clicked_at + SLACK),
            AffiliateClick.ip_index.is_not(None),
        )
        .order_by(AffiliateClick.clicked_at.desc())
        .limit(1)
    )
    if address is None:
        return False
    clicks = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AffiliateClick)
        .where(
            AffiliateClick.ip_index == address,
            AffiliateClick.clicked_at > clicked_at - timedelta(minutes=settings.burst_minutes),
            AffiliateClick.clicked_at <= clicked_at + SLACK,
        )
    )
    return int(clicks or 0) > settings.burst_clicks
