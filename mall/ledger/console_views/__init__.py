"""The operator's money pages in the console, /admin/…: one module a blueprint.

- ``commission``: commission settings and each shop's rates (``commission_console``);
- ``revenue``: the platform's revenue per period (``revenue_console``);
- ``money``: disputes, unattributed refunds, reconciliation, adjustments and the refund
  fee policy (``money_console``);
- ``payouts``: what shops are owed, manual batches, one shop's payouts (``payouts_console``).
"""

from __future__ import annotations

# The blueprints' root is this folder; their templates are mall/ledger/templates.
TEMPLATES = "../templates"
