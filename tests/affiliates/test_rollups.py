"""Daily rollups: a day's clicks counted per affiliate and landing page, the same rows however
often it runs, at a query cost that does not grow with the clicks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from affiliates.models import (
    Affiliate,
    AffiliateClick,
    AffiliateDailyPage,
    AffiliateDailyStat,
    AffiliateStatus,
    AgentClass,
)
from affiliates.programs.settings import save_program_settings
from affiliates.tracking.jobs import roll_up_clicks
from affiliates.tracking.rollups import roll_up
from mall.db import utcnow
from mall.extensions import db

DAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sunny(app_ctx) -> Affiliate:
    return affiliate("SUNNY")


def affiliate(code: str) -> Affiliate:
    made = Affiliate(code=code, status=AffiliateStatus.APPROVED)
    db.session.add(made)
    db.session.commit()
    return made


def click(
    who: Affiliate,
    *,
    at: datetime = NOON,
    ip: bytes = b"a" * 32,
    agent: AgentClass = AgentClass.DESKTOP,
    path: str = "/",
) -> None:
    db.session.add(
        AffiliateClick(
            affiliate_id=who.id, clicked_at=at, ip_index=ip, agent=agent, landing_path=path
        )
    )


def stats() -> dict:
    db.session.expire_all()
    return {
        (row.affiliate_id, row.day): (
            row.clicks,
            row.bot_clicks,
            row.visitors,
            row.discounted_clicks,
        )
        for row in db.session.scalars(sa.select(AffiliateDailyStat))
    }


def pages() -> set:
    return {
        (row.affiliate_id, row.day, row.path, row.clicks)
        for row in db.session.scalars(sa.select(AffiliateDailyPage))
    }


def test_a_days_clicks_are_counted_per_affiliate_and_page(sunny):
    moon = affiliate("MOON")
    click(sunny, ip=b"1" * 32, path="/shop/acme/")
    click(sunny, ip=b"1" * 32, path="/shop/acme/", at=NOON + timedelta(hours=3))
    click(sunny, ip=b"2" * 32, path="/")
    click(sunny, ip=b"3" * 32, agent=AgentClass.BOT, path="/shop/acme/")
    click(sunny, at=NOON - timedelta(days=1))  # the day before
    click(sunny, at=datetime(2026, 11, 21, 0, 0, tzinfo=UTC))  # the day after, at midnight
    click(moon, ip=b"4" * 32, agent=AgentClass.MOBILE, at=datetime(2026, 11, 20, tzinfo=UTC))
    db.session.commit()

    rolled = roll_up(DAY)
    db.session.commit()

    assert (rolled.affiliates, rolled.pages) == (2, 3)
    assert stats() == {(sunny.id, DAY): (3, 1, 2, 0), (moon.id, DAY): (1, 0, 1, 0)}
    assert pages() == {
        (sunny.id, DAY, "/shop/acme/", 2),
        (sunny.id, DAY, "/", 1),
        (moon.id, DAY, "/", 1),
    }


def test_rolling_up_twice_gives_the_same_rows_and_new_clicks_update_them(sunny):
    click(sunny, path="/a")
    db.session.commit()
    roll_up(DAY)
    db.session.commit()
    first = (stats(), pages())
    roll_up(DAY)
    db.session.commit()
    assert (stats(), pages()) == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AffiliateDailyStat)) == 1

    click(sunny, path="/b", ip=b"b" * 32)
    db.session.commit()
    roll_up(DAY)
    db.session.commit()
    assert stats() == {(sunny.id, DAY): (2, 0, 2, 0)}
    assert pages() == {(sunny.id, DAY, "/a", 1), (sunny.id, DAY, "/b", 1)}


def test_a_rollup_counts_the_days_sales_from_the_commissions_alone(sunny):
    """Sales the commissions do not hold (none here) are not counted, whatever the row said;
    the sales themselves are in test_dashboard_refunds.py."""
    moon = affiliate("MOON")
    db.session.add(AffiliateDailyStat(affiliate_id=sunny.id, day=DAY, conversions=2, earned=900))
    db.session.add(AffiliateDailyStat(affiliate_id=moon.id, day=DAY, conversions=1, earned=50))
    click(sunny)
    db.session.commit()
    roll_up(DAY)
    db.session.commit()
    db.session.expire_all()
    rows = {
        row.affiliate_id: (row.clicks, row.conversions, row.earned)
        for row in db.session.scalars(sa.select(AffiliateDailyStat))
    }
    assert rows == {sunny.id: (1, 0, 0), moon.id: (0, 0, 0)}


def test_a_burst_from_one_ip_is_discounted_beyond_the_limit(sunny):
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    for n in range(14):  # 14 clicks in 14 minutes from one address
        click(sunny, ip=b"x" * 32, at=start + timedelta(minutes=n))
    for n in range(3):  # another address, well under the limit
        click(sunny, ip=b"y" * 32, at=start + timedelta(minutes=n))
    click(sunny, ip=b"x" * 32, agent=AgentClass.BOT, at=start)  # bots are apart already
    db.session.commit()

    roll_up(DAY)
    assert stats() == {(sunny.id, DAY): (17, 1, 2, 4)}  # default: 10 per 60 minutes

    save_program_settings({"burst_clicks": 5, "burst_minutes": 30}, actor_id=None)
    roll_up(DAY)
    assert stats() == {(sunny.id, DAY): (17, 1, 2, 9)}


def test_the_query_count_does_not_grow_with_the_clicks(sunny, count_queries):
    moon = affiliate("MOON")
    click(sunny)
    db.session.commit()
    with count_queries() as few:
        roll_up(DAY)
    for n in range(200):
        click(sunny if n % 2 else moon, ip=bytes([n % 50]) * 32, path=f"/p/{n % 7}")
    db.session.commit()
    with count_queries() as many:
        roll_up(DAY)
    assert many.count == few.count


def test_the_cli_rolls_up_the_day_given(app, sunny):
    click(sunny)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["mall", "affiliates", "rollup", "--day", "2026-11-20"]
    )
    assert result.exit_code == 0, result.output
    assert "Rolled up 2026-11-20: 1 affiliates, 1 landing pages." in result.output
    assert stats() == {(sunny.id, DAY): (1, 0, 1, 0)}


def test_the_cli_refuses_a_day_it_cannot_read(app, app_ctx):
    result = app.test_cli_runner().invoke(args=["mall", "affiliates", "rollup", "--day", "20/11"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_the_job_rolls_up_today_and_yesterday_once(app, sunny, count_queries):
    now = utcnow()
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    click(sunny, at=now - timedelta(minutes=1) if now.hour or now.minute > 1 else now)
    click(
        sunny, at=datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=5)
    )
    db.session.commit()

    assert roll_up_clicks() == 2
    db.session.commit()
    assert set(stats()) == {(sunny.id, today), (sunny.id, yesterday)}
    # Yesterday was rolled up after its end: the next runs roll up today only.
    assert roll_up_clicks() == 1
