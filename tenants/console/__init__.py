"""The operator console (/admin): shops, commission, settings, audit log (a feature layer)."""
