"""Member shops: registration, settings, staff and invitations.

A feature layer on the tenancy core (it ranks with the mall domains).
"""
