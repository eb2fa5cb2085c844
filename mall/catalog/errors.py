"""The catalog's errors: every refusal is a ``CatalogError`` whose message a person can read."""

from __future__ import annotations

from dataclasses import dataclass


class CatalogError(ValueError):
    """A catalog request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field (``variants[2].price``) of the input."""

    field: str
    message: str


class InvalidProduct(CatalogError):
    """The input has problems; ``errors`` lists them all."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
