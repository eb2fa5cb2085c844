"""Tenancy core: shops (tenants), their context, isolation and row-level security.

Later: the key service, shop registration and staff, the operator console.
"""
