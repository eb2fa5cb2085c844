"""Suppliers of a shop: purchase orders, receiving, drop-ship, vendor bills, payables.

Arrives with its issue; it may import everything below it (mall domains, tenants, core).
"""
