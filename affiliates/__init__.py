"""Affiliate programme: accounts, links, click tracking, attribution, commissions, payouts.

Arrives with its issue; it may import everything below it (mall domains, tenants, core).
"""
