"""The customer's privacy pages: the signed-in account's own data; the export link's token is
signed, carries the export's id only, and opens only for the account that asked."""

MALL_ROUTES = {
    "privacy.index",
    "privacy.request_export",
    "privacy.download_export",
    "privacy.delete_account",
    "privacy.cancel_unpaid",
}
