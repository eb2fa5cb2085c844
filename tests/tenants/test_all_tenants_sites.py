"""Every cross-tenant read (``all_tenants(reason)``) in the code is listed here, with why.

A new call site fails this test until it is reviewed and added to ALLOWED.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mall", "tenants", "affiliates", "vendors", "config")

# "path:function" -> why it reads across shops.
ALLOWED: dict[str, str] = {
    "affiliates/dashboard/numbers.py:payout_commissions": (
        "affiliate payout page: the shop names and order numbers of the commissions one of"
        " the signed-in affiliate's own payouts settled (by payout id; no customer data)"
    ),
    "affiliates/coupons/services.py:coupons_of": (
        "affiliate home: the shop coupons linked to the signed-in affiliate (codes, by"
        " affiliate id)"
    ),
    "affiliates/programs/private.py:invitations_of": (
        "affiliate home: the private programs the signed-in affiliate is invited to or in"
        " (shop ids and statuses, by affiliate id)"
    ),
    "affiliates/reviews/services.py:review_page": (
        "operator console: commissions waiting for review or flagged, across shops (shop,"
        " order number, affiliate code, amount, flags; no customer data)"
    ),
    "affiliates/reviews/services.py:decide": (
        "operator console: which shop a reviewed commission belongs to (its id only); the"
        " decision itself runs in that shop's context"
    ),
    "affiliates/dashboard/numbers.py:commissions_by_status": (
        "affiliate dashboard: the affiliate's own commissions in every shop summed per status"
        " (by affiliate id; amounts and counts only)"
    ),
    "affiliates/dashboard/numbers.py:latest_commissions": (
        "affiliate dashboard: the affiliate's own commissions in every shop (by affiliate id)"
        " with their orders' numbers; no customer data"
    ),
    "mall/catalog/search.py:search_products": (
        "mall-wide catalog search and category pages: published products of active shops"
    ),
    "mall/catalog/search.py:showcase": (
        "mall home page: newest and best-selling published products of active shops"
    ),
    "mall/catalog/sitemap.py:sitemap_size": (
        "sitemap: counts published products of active shops (and their latest change)"
    ),
    "mall/catalog/sitemap.py:sitemap_entries": (
        "sitemap: lists published products of active shops (slug and lastmod only)"
    ),
    "mall/cart/contents.py:find_variants": (
        "cart: a cart mixes shops; looks up the visitor's variant ids (with product and"
        " shop, to say why a line can no longer be bought) and their first pictures"
    ),
    "mall/catalog/search_index.py:reindex_category": (
        "search index: which shops have products in a renamed category (ids only);"
        " each shop is then reindexed in its own context"
    ),
    "mall/catalog/categories.py:product_counts": (
        "operator: products per category (counts in the tree; deletion refused while any"
        " shop files a product there)"
    ),
    "mall/console/services.py:shop_preview": (
        "operator: one shop's product count and first few products (title, price, status),"
        " filtered on that shop, to review it before approving"
    ),
    "mall/pricing/engine.py:load_shop_data": (
        "quote: a cart mixes shops; reads the settings, active shipping methods and the"
        " destination's tax rates of the shops in it (filtered on their ids)"
    ),
    "mall/payments/services.py:available_methods": (
        "payments: a cart mixes shops; reads the payment settings (bank transfer, offline"
        " card on/off) of the shops in it, filtered on their ids"
    ),
    "mall/payments/services.py:bank_instructions": (
        "payments: the bank transfer instructions of the shops of one checkout, filtered on"
        " their ids"
    ),
    "mall/coupons/services.py:_shop_coupons": (
        "coupons: the codes typed in a cart, among the coupons of the shops in it (filtered"
        " on their ids and the codes)"
    ),
    "mall/coupons/services.py:_uses_by_customer": (
        "coupons: one customer's uses of the limited coupons of a cart's shops (counts by"
        " coupon id)"
    ),
    "mall/coupons/services.py:_held_shop_redemptions": (
        "coupons: one checkout's held redemptions across its shops (ids only); each is"
        " confirmed or released inside its own shop's context"
    ),
    "mall/payments/offline_cards.py:purge_overdue_cards": (
        "payments job: finds offline cards past their deadline in every shop; each is"
        " deleted and its order cancelled inside its own shop's context"
    ),
    "mall/accounts/order_history.py:customer_orders": (
        "account: the signed-in customer's own orders (and their invoice ids) in every shop,"
        " by the ids of the checkouts they placed (and their account id)"
    ),
    "mall/orders/entry/jobs_recurring.py:due_schedules": (
        "recurring invoices: the due schedules of active shops (shop and schedule ids only);"
        " each is issued in its own shop's context"
    ),
    "mall/orders/entry/jobs_recurring.py:invoices_to_remind": (
        "overdue invoice reminders: sent, unpaid invoices past due in active shops (shop and"
        " invoice ids only); each is counted and emailed in its own shop's context"
    ),
    "mall/orders/services.py:orders_of_checkout": (
        "checkout: the orders of one checkout (one per shop, by checkout id); each is then"
        " paid, cancelled or refunded inside its own shop's context"
    ),
    "mall/ledger/disputes.py:shares_of": (
        "ledger: the shares of one dispute (one per shop order of its checkout), to close it"
        " in each shop's context and for the operator's dispute page (amounts, order numbers)"
    ),
    "mall/ledger/unattributed.py:candidates_by_checkout": (
        "ledger: the paid orders of the checkouts of queued unattributed refunds (number, shop,"
        " amounts left) for the operator to assign them; each part is recorded in its shop"
    ),
    "mall/ledger/reconciliation.py:ledger_totals": (
        "ledger reconciliation: which checkout each order's processor lines belong to (ids and"
        " sums only), compared with the payment records"
    ),
    "mall/checkout/completion.py:confirmation_context": (
        "checkout confirmation: the lines of the customer's own orders of one checkout,"
        " for the page reached by its signed link and the email to the checkout's address"
    ),
    "mall/ledger/release.py:due_orders": (
        "ledger job: orders of every shop whose holding period ended (ids, shop and number"
        " only); each is released in the platform's ledger"
    ),
    "mall/newsletters/subscribers.py:received_newsletters": (
        "checkout review: which of the cart's shops' newsletters the signed-in customer gets"
        " (shop ids by account id), so their boxes are not offered again"
    ),
    "mall/crm/privacy.py:shops_written_to": (
        "privacy (export, account deletion): which shops hold threads the account started"
        " (shop ids only); each shop's record is then read or deleted in that shop's context"
    ),
    "mall/delivery/queries.py:customer_downloads": (
        "delivery: a signed-in customer's own download grants in every shop (by account id),"
        " with their lines, files, counters, keys, orders and shop names"
    ),
    "mall/ledger/payouts/manual.py:batch_payouts": (
        "operator: the manual payouts of one batch (shop, amount, status; no personal data);"
        " each is exported, paid or returned inside its own shop's context"
    ),
    "mall/accounts/export_shops.py:shops_of": (
        "privacy (export, account deletion): which shops hold orders of the account (shop ids"
        " by account id); each shop's rows are then read or deleted in its own context"
    ),
    "mall/accounts/erasure.py:erase_account": (
        "account deletion: unlinks the deleted account from its orders and download grants"
        " and deletes its newsletter subscriptions in every shop (by account id; reads nothing)"
    ),
    "mall/accounts/retention.py:anonymise_orders_past_retention": (
        "retention job: which shops hold orders past the retention period (tenant ids only);"
        " each shop's orders are anonymised in its own context, under its own key"
    ),
    "mall/accounts/retention.py:prune_logs": (
        "retention job: deletes every shop's download log rows past the log period (by age)"
    ),
    "mall/newsletters/services.py:preferences": (
        "email preferences: the shops a signed-in customer subscribed to or ordered from"
        " (tenant ids and subscription status, by account id); changes happen in each"
        " shop's own context"
    ),
    "mall/newsletters/services.py:forget_subscriber": (
        "account erasure: deletes the erased account's newsletter subscriptions in every"
        " shop (by account id; reads nothing)"
    ),
    "mall/newsletters/services.py:follow_email_change": (
        "email change: which shops hold subscriptions linked to the account (tenant ids by"
        " account id); each is moved to the new address in its own shop's context"
    ),
    "affiliates/commissions/services.py:approve_due": (
        "affiliate job: pending commissions whose holding period ended, in every shop (ids"
        " only); each is approved in its own shop's context"
    ),
    "affiliates/commissions/forfeits.py:forfeit_unpaid": (
        "account erasure: the deleted affiliate's unpaid commissions in every shop (ids by"
        " affiliate id); each goes back to its shop in that shop's context"
    ),
    "affiliates/tracking/rollups.py:_sales": (
        "affiliate rollup job: a day's commissions in every shop summed per affiliate"
        " (amounts and counts only, by the day their orders were paid)"
    ),
    "affiliates/tracking/rollups.py:changed_sale_days": (
        "affiliate rollup job: the payment days of orders whose commissions changed (from the"
        " ledger's affiliate entries; days only)"
    ),
    "affiliates/programs/private.py:leave_private_programs": (
        "account erasure: the deleted affiliate's private-program rows in every shop become"
        " removed (one UPDATE by affiliate id; no personal data read)"
    ),
    "affiliates/payouts/services.py:_commissions": (
        "affiliate payouts: mark the commissions a payout settles (one UPDATE by affiliate id"
        " or payout id, in every shop that owes them); reads nothing"
    ),
    "affiliates/payouts/queries.py:commissions_of": (
        "affiliate payouts: the commissions one payout settled (by payout and affiliate id),"
        " in every shop that paid them"
    ),
    "mall/newsletters/subscribers.py:checkout_shops": (
        "checkout opt-in: which shops have an order in this checkout (tenant ids by checkout"
        " id), so the newsletter boxes can only name those shops"
    ),
}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def call_sites(root: Path) -> set[str]:
    sites = set()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and _called_name(node) == "all_tenants":
                        sites.add(f"{path.relative_to(root)}:{function.name}")
    return sites


def test_every_all_tenants_call_site_is_listed():
    assert call_sites(ROOT) == set(ALLOWED), "review the cross-tenant read and list it in ALLOWED"


def test_the_scan_finds_calls(tmp_path):
    """The scanner itself works (so an empty list means there are no calls)."""
    (tmp_path / "mall").mkdir()
    (tmp_path / "mall" / "x.py").write_text(
        "def sweep():\n    with all_tenants('why'):\n        pass\n"
        "def doc():\n    '''all_tenants(reason) is mentioned, not called'''\n"
    )
    assert call_sites(tmp_path) == {"mall/x.py:sweep"}
    assert sys.modules[__name__]
