"""Clicks on affiliate links and their daily rollups (platform tables).

``affiliate_clicks`` takes one INSERT per click and is read only by the rollup
job and attribution's fraud checks; the dashboards read the rollups, so their
cost does not grow with the clicks. No IP address is stored: ``ip_index`` is a
blind index under the platform's index key (enough to count unique visitors and
see bursts, useless to find a person).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT

PATH_MAX = 300
HOST_MAX = 255


class AgentClass(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    BOT = "bot"
    OTHER = "other"


class AffiliateClick(PlatformModel, db.Model):
    """One visit through an affiliate's link (``/r/<code>`` or ``?ref=<code>``)."""

    __tablename__ = "affiliate_clicks"

    affiliate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliates.id"))
    clicked_at: Mapped[datetime] = mapped_column(default=utcnow)
    shop_id: Mapped[UUID | None]  # the landing page's shop; no foreign key: a closed shop goes
    landing_path: Mapped[str] = mapped_column(sa.String(PATH_MAX), default="/")
    referrer_host: Mapped[str] = mapped_column(sa.String(HOST_MAX), default="")
    ip_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    agent: Mapped[AgentClass] = mapped_column(str_enum(AgentClass), default=AgentClass.OTHER)

    __table_args__ = (
        sa.Index("ix_affiliate_clicks_affiliate_id_clicked_at", "affiliate_id", "clicked_at"),
        sa.Index("ix_affiliate_clicks_ip_index_clicked_at", "ip_index", "clicked_at"),
        sa.Index("ix_affiliate_clicks_clicked_at", "clicked_at"),
    )


class AffiliateDailyStat(PlatformModel, db.Model):
    """One affiliate's day: what the dashboard shows, made by the rollup job (upserted)."""

    __tablename__ = "affiliate_daily_stats"

    affiliate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliates.id"))
    day: Mapped[date]
    clicks: Mapped[int] = mapped_column(default=0)  # people's, bursts included
    bot_clicks: Mapped[int] = mapped_column(default=0)
    discounted_clicks: Mapped[int] = mapped_column(default=0)  # in a burst from one IP index
    visitors: Mapped[int] = mapped_column(default=0)  # distinct IP indexes
    conversions: Mapped[int] = mapped_column(default=0)  # shop orders attributed
    earned: Mapped[int] = mapped_column(AMOUNT, default=0)  # tier 1 and 2, after refunds
    rolled_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("affiliate_id", "day"),
        # The job's every run: a day's rows, its last rollup and the last run overall.
        sa.Index("ix_affiliate_daily_stats_day_rolled_at", "day", "rolled_at"),
        sa.Index("ix_affiliate_daily_stats_rolled_at", "rolled_at"),
    )


class AffiliateDailyPage(PlatformModel, db.Model):
    """Clicks of one affiliate's day on one landing path (the "top landing pages")."""

    __tablename__ = "affiliate_daily_pages"

    affiliate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliates.id"))
    day: Mapped[date]
    path: Mapped[str] = mapped_column(sa.String(PATH_MAX))
    clicks: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.UniqueConstraint("affiliate_id", "day", "path"),
        sa.Index("ix_affiliate_daily_pages_day", "day"),  # a rollup replaces a day's rows
    )
