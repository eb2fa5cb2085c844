"""Changing a draft purchase order: add a line, change packs and costs, remove lines, the note.

Only a draft changes: each change first holds the PO's row while it is a draft
(``status.hold``), so a PO sent meanwhile is refused, never changed after sending.
Removing lines drops what was typed on them: the page lists them and asks once
(``removals``) before calling ``update_lines`` with ``confirmed=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple
from uuid import UUID

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseOrderLine
from vendors.purchasing import status
from vendors.purchasing.services import (
    MAX_LINES,
    PoLineInput,
    build_line,
    check_cost,
    check_packs,
    clean_note,
    get_vendor,
)


class LineChange(NamedTuple):
    """A line as the draft's form has it: packs (0 removes it) and cost per pack."""

    packs: int
    unit_cost: int


def add_line(po: PurchaseOrder, item: PoLineInput, *, actor_id: UUID | None) -> PurchaseOrderLine:
    """Add a line to a draft (the vendor must supply the variant; once per variant).

    The same line again (a double click) returns the line already there.
    """
    status.hold(po, "edit")
    there = next((line for line in po.lines if line.variant_id == item.variant_id), None)
    if there is not None:
        if there.quantity_ordered == item.packs and item.unit_cost in (None, there.unit_cost):
            return there
        raise PurchasingError("That product is on this purchase order already: change its packs.")
    if len(po.lines) >= MAX_LINES:
        raise PurchasingError(f"A purchase order holds at most {MAX_LINES} lines.")
    position = max((line.position for line in po.lines), default=-1) + 1
    line = build_line(po, get_vendor(po.vendor_id), item, position=position)
    db.session.add(line)
    db.session.flush()
    db.session.refresh(po, ["lines"])
    return line


def removals(po: PurchaseOrder, changes: Mapping[UUID, LineChange]) -> list[PurchaseOrderLine]:
    """The lines ``changes`` would remove (packs 0), to list them before asking."""
    return [line for line in po.lines if line.id in changes and changes[line.id].packs == 0]


def update_lines(
    po: PurchaseOrder,
    changes: Mapping[UUID, LineChange],
    *,
    actor_id: UUID | None,
    confirmed: bool = False,
) -> int:
    """Apply packs and costs to a draft's lines; packs 0 removes a line (only ``confirmed``).

    Returns how many lines changed or went. Refused: a line not on the PO, a value out of
    range, a removal not confirmed.
    """
    status.hold(po, "edit")
    lines = {line.id: line for line in po.lines}
    unknown = set(changes) - set(lines)
    if unknown:
        raise PurchasingError(f"A line is no longer on {po.number}: open it again.")
    going = removals(po, changes)
    if going and not confirmed:
        names = ", ".join(line.description for line in going)
        raise PurchasingError(f"Confirm removing {names} from {po.number}.")
    touched = 0
    for line_id, change in changes.items():
        line = lines[line_id]
        if change.packs == 0:
            db.session.delete(line)
            touched += 1
            continue
        check_packs(change.packs, description=line.description)
        check_cost(change.unit_cost, description=line.description)
        if (line.quantity_ordered, line.unit_cost) != (change.packs, change.unit_cost):
            line.quantity_ordered, line.unit_cost = change.packs, change.unit_cost
            touched += 1
    db.session.flush()
    db.session.refresh(po, ["lines"])
    return touched


def update_note(po: PurchaseOrder, note: str, *, actor_id: UUID | None) -> None:
    """The draft's note to the vendor (printed on the PO)."""
    status.hold(po, "edit")
    po.note = clean_note(note)
    db.session.flush()
