"""Order entry's error: its message is shown to staff or the customer as it is."""

from __future__ import annotations

from mall.orders.errors import OrderError


class EntryError(OrderError):
    """A quote or invoice action that cannot happen; ``field`` names the form field at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
