"""The affiliate program's refusals."""

from __future__ import annotations


class AffiliateError(Exception):
    """A refusal a person can read."""
