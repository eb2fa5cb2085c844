"""Account pages: the signed-in user's own account; tokens are signed and carry ids only."""

MALL_ROUTES = {
    "accounts.register",
    "accounts.verify",
    "accounts.resend_verification",
    "accounts.login",
    "accounts.logout",
    "accounts.forgot",
    "accounts.reset_password",
    "accounts.account",
    "accounts.update_profile",
    "accounts.change_email",
    "accounts.change_password",
}
