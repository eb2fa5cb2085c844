"""The operator pays affiliates: opens "Affiliate payouts" in the console, sees who is payable,
makes a payout batch, downloads the PayPal CSV and, once PayPal has paid it, marks the PayPal
payouts paid."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import make_person, sign_in


def payable_affiliate(live_app, suffix: str, slug: str, amount: int) -> tuple[str, str]:
    """An approved affiliate paid by PayPal with ``amount`` approved in the shop; (code, email)."""
    import sqlalchemy as sa

    from affiliates.applications import services
    from mall.accounts.services import create_user
    from mall.extensions import db
    from tenants.models import Tenant
    from tests.affiliates.test_payouts import earn

    code, email = f"PAY-{suffix.upper()}", f"paypal-{suffix}@pay.example.net"
    with live_app.app_context():
        user = create_user(f"affiliate-{suffix}@example.com", DEFAULT_PASSWORD, verified=True)
        row = services.apply(
            user,
            website="https://blog.example.org/tools",
            promotion="Reviews of hand tools.",
            payout_method="paypal",
            payout_email=email,
        )
        services.approve(row, actor_id=None, code=code)
        db.session.commit()
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        earn(shop, row, amount)
    return code, email


def test_the_operator_makes_a_batch_downloads_the_csv_and_marks_it_paid(page, live_app):
    suffix = uuid4().hex[:6]
    operator = f"operator-{suffix}@example.com"
    slug = f"tools-{suffix}"
    make_person(live_app, operator, name="Payout Operator", operator=True)
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Tools {suffix}"))
    code, email = payable_affiliate(live_app, suffix, slug, 123_400)

    sign_in(page, operator)
    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Affiliate payouts", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Payable now")).to_be_visible()
    row = page.locator("#payable tbody tr").filter(has_text=code)
    expect(row).to_contain_text("$1,234.00")
    expect(row).to_contain_text("PayPal (CSV)")

    page.get_by_role("button", name="Make a payout batch").click()
    expect(page.get_by_role("alert").filter(has_text="Payout batch made")).to_be_visible()
    payout_row = page.locator("#batch-payouts tbody tr").filter(has_text=code)
    expect(payout_row).to_contain_text("in transit")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PayPal CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert f"{email},1234.00,USD,AP-" in content

    page.get_by_role("button", name="Mark the PayPal payouts paid").click()
    expect(page.get_by_role("alert").filter(has_text="marked paid")).to_be_visible()
    expect(payout_row).to_contain_text("paid")
    expect(page.locator("#batch-status")).to_have_text("closed")
    expect(page.get_by_role("button", name="Mark the PayPal payouts paid")).to_have_count(0)
