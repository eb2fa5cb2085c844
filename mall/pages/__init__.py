"""Mall-wide pages: home, search, privacy, health."""
