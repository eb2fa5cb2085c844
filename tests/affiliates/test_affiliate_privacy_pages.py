"""The privacy pages and the data export speak of the affiliate record: what the program keeps
(for everyone), what deleting the account costs an affiliate (their code, the unpaid
commissions, named with their amount), and the export's own affiliate file."""

from __future__ import annotations

import html as htmllib
import io
import re
import zipfile

import pytest

from affiliates.payouts import services as payouts
from mall.accounts.models import User
from mall.extensions import db
from tenants.settings import put_setting
from tests.affiliates.test_commissions import sold
from tests.affiliates.test_payouts import an_affiliate, earn
from tests.mall.test_data_export import request_and_open
from tests.support.mail import clear_outbox

DELETE = "/account/privacy/delete"


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def words(response) -> str:
    """The page's text as a person reads it (tags dropped, entities decoded, spaces folded)."""
    return " ".join(
        htmllib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split()
    )


def person_of(affiliate) -> User:
    return db.session.get(User, affiliate.user_id)


def test_an_affiliate_sees_what_deleting_costs_with_their_unpaid_balance(
    client, sign_in, make_user, shop_a
):
    ada = an_affiliate(make_user, "ADA-DEL")
    earn(shop_a, ada, 2000)  # approved, payable in the next payout
    sold(shop_a, ada)  # a sale through Ada's link: $1.20 pending in the holding period
    sign_in(person_of(ada))

    page = client.get(DELETE)
    assert page.status_code == 200
    text = words(page)
    assert "Your affiliate record" in text
    assert (
        "You have $21.20 of commissions not yet paid ($1.20 pending, $20.00 approved). "
        "Deleting your account now gives it up."
    ) in text
    assert "Your affiliate code ADA-DEL stops working" in text
    assert "Commissions not yet paid (pending or approved) are forfeited" in text
    assert "stay as money records, anonymised" in text
    assert "on its way" not in text


def test_a_payout_on_its_way_is_named_too(client, sign_in, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    bea = an_affiliate(make_user, "BEA-DEL")
    earn(shop_a, bea, 2500)
    payouts.make_batch(batch_key="privacy-page", actor_id=None)
    db.session.commit()
    sign_in(person_of(bea))

    text = words(client.get(DELETE))
    assert "A payout of $25.00 is on its way to you: wait until it arrives" in text
    assert "commissions not yet paid (" not in text  # all of it is in the payout


def test_an_affiliate_with_nothing_owed_sees_no_warning(client, sign_in, make_user):
    cy = an_affiliate(make_user, "CY-DEL")
    sign_in(person_of(cy))
    page = client.get(DELETE)
    assert "Your affiliate code CY-DEL stops working" in words(page)
    assert 'id="note-affiliate-warning"' not in page.get_data(as_text=True)


def test_an_applicant_not_yet_approved_hears_only_of_their_answers(client, sign_in, make_user):
    from affiliates.applications import services as applications
    from tests.affiliates.test_payouts import ANSWERS

    eve = make_user("eve.applicant@example.com")
    applications.apply(eve, **ANSWERS, payout_email="eve@pay.example.net")
    db.session.commit()
    sign_in(eve)
    text = words(client.get(DELETE))
    assert "Your affiliate application" in text
    assert "Your application answers, your payout email and your Stripe account link" in text
    assert "forfeited" not in text and "affiliate code" not in text


def test_someone_who_never_applied_sees_no_affiliate_paragraph(client, sign_in, make_user):
    sign_in(make_user("plain.customer@example.com"))
    page = client.get(DELETE)
    assert page.status_code == 200
    text = words(page)
    assert "Your affiliate record" not in text and "affiliate code" not in text
    assert "Kept, and why" in text  # the page itself is unchanged


def test_the_privacy_page_says_what_the_affiliate_program_keeps(client, sign_in, make_user):
    sign_in(make_user("curious@example.com"))
    text = words(client.get("/account/privacy/"))
    assert "The affiliate program" in text
    assert "your payout email, sealed (encrypted)" in text
    assert "of the IP address only a blind index" in text
    assert "Commissions and payouts are money records" in text
    assert "legal retention period (7 years)" in text


def readme_of(client, sign_in, app, user) -> tuple[str, dict[str, bytes]]:
    response = client.get(request_and_open(client, sign_in, app, user))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return files["README.txt"].decode(), files


def test_the_export_readme_names_the_affiliate_file_only_when_there_is_one(
    app, client, sign_in, make_user, outbox
):
    dee = an_affiliate(make_user, "DEE-EXP", email="dee.payouts@example.net")
    readme, files = readme_of(client, sign_in, app, person_of(dee))
    assert "affiliate.json: your affiliate record" in " ".join(readme.split())
    assert b'"code": "DEE-EXP"' in files["affiliate.json"]
    assert b"dee.payouts@example.net" in files["affiliate.json"]

    readme, files = readme_of(client, sign_in, app, make_user("no.affiliate@example.com"))
    assert "affiliate" not in readme and "affiliate.json" not in files
