"""Accounts: one platform-wide user table, sign-in, email verification, password resets."""
