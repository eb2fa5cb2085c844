"""Member shops: registration, settings, staff and invitations (a feature layer on the tenancy core)."""
