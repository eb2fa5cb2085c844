"""The affiliate's own payout page: what one payout settled (commissions in every shop and the
clawbacks netted against it), linked from the dashboard; anyone else's payout is a 404."""

from __future__ import annotations

import html as htmllib
import re
from uuid import uuid4

from affiliates.models import Affiliate
from affiliates.payouts import queries, services
from mall.accounts.models import User
from mall.extensions import db
from mall.orders.models import Order
from tenants.context import tenant_context
from tests.affiliates.test_payouts import an_affiliate, claw_back, earn


def text(response) -> str:
    return response.get_data(as_text=True)


def rows_of(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    body = table.split("<tbody>")[1]
    return [
        " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def number_of(shop, row) -> str:
    with tenant_context(shop):
        return db.session.get(Order, (shop.id, row.order_id)).number


def paid_out(affiliate: Affiliate):
    (payout,) = queries.payouts_of(affiliate).items
    return payout


def batch() -> None:
    services.make_batch(batch_key=f"key-{uuid4().hex}", actor_id=None)
    db.session.commit()


def test_the_affiliate_sees_what_a_payout_settled(client, make_user, sign_in, shop_a, shop_b):
    me = an_affiliate(make_user, "SUNNY")
    other = an_affiliate(make_user, "MOON")
    big = earn(shop_a, me, 6000)
    small = earn(shop_b, me, 1000)
    back = claw_back(shop_a, me, 500)
    theirs = earn(shop_a, other, 9000)
    batch()
    mine = paid_out(me)
    sign_in(db.session.get(User, me.user_id))

    dashboard = text(client.get("/affiliates/dashboard"))
    assert f'href="/affiliates/payouts/{mine.id}"' in dashboard
    response = client.get(f"/affiliates/payouts/{mine.id}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = text(response)
    assert "$65.00" in page and "PayPal" in page and "On its way" in page
    rows = rows_of(page, "payout-commissions")
    assert len(rows) == 3
    assert any(row.endswith(f"Shop A {number_of(shop_a, big)} $60.00") for row in rows)
    assert any(row.endswith(f"Shop B {number_of(shop_b, small)} $10.00") for row in rows)
    clawed = f"Shop A {number_of(shop_a, back)} (refunded after an earlier payout)"
    assert any(clawed in row for row in rows)
    assert number_of(shop_a, theirs) not in page and "$90.00" not in page


def test_another_affiliates_payout_or_an_unknown_id_is_a_404(client, make_user, sign_in, shop_a):
    me = an_affiliate(make_user, "SUNNY")
    other = an_affiliate(make_user, "MOON")
    earn(shop_a, me, 6000)
    earn(shop_a, other, 9000)
    batch()
    theirs = paid_out(other)
    sign_in(db.session.get(User, me.user_id))
    assert client.get(f"/affiliates/payouts/{theirs.id}").status_code == 404
    assert client.get(f"/affiliates/payouts/{uuid4()}").status_code == 404
    assert client.get("/affiliates/payouts/not-an-id").status_code == 404
    assert client.get(f"/affiliates/payouts/{paid_out(me).id}").status_code == 200


def test_someone_who_is_no_affiliate_is_sent_to_the_affiliate_page(
    client, make_user, sign_in, shop_a
):
    me = an_affiliate(make_user, "SUNNY")
    earn(shop_a, me, 6000)
    batch()
    payout_id = paid_out(me).id
    response = client.get(f"/affiliates/payouts/{payout_id}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    sign_in(make_user("stranger@example.com"))
    response = client.get(f"/affiliates/payouts/{payout_id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/affiliates/home")
