"""The back office's add-or-edit form round trip, one shape for every kind of object.

GET shows the form, filled from the object being edited. POST turns the form into
the service's input, calls ``create`` (no object yet) or ``update``, commits, says
what happened and goes back with a 303. Refused input re-renders the form with 400
and saves nothing: a bad field (the form's own check, or the service's ``refusal``
exception with its ``errors`` per field), or a unique value another request took
meanwhile (the ``IntegrityError`` of the lost race).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from wtforms import Field

from mall.extensions import db


class EditForm(Protocol):
    """What the round trip needs of a form."""

    def fill(self, obj: Any) -> None:
        """Show a saved object's values (GET of the edit page)."""

    def to_input(self) -> Any:
        """The parsed input, or None with messages on the fields."""

    def file_errors(self, errors: dict[str, str]) -> None:
        """Show a service's refusals (field name to message) next to the fields."""


def form_round_trip(
    form: EditForm,
    obj: Any,
    *,
    template: str,
    shown_as: str,
    create: Callable[[Any], Any],
    update: Callable[[Any, Any], bool],
    refusal: type[Exception],
    taken: tuple[Field, str],
    named: Callable[[Any], str],
    back_to: str,
) -> ResponseReturnValue:
    """GET: the form; POST: save, flash "<named(input)> is added/saved/unchanged.", 303.

    ``template`` shows the form, ``obj`` in it as ``shown_as``; ``taken`` is the field and
    message shown when another request took its unique value first.
    """

    def page(status: int) -> ResponseReturnValue:
        return render_template(template, form=form, **{shown_as: obj}), status

    if request.method == "GET":
        if obj is not None:
            form.fill(obj)
        return page(200)
    data = form.to_input()
    if data is None:
        return page(400)
    try:
        if obj is None:
            create(data)
            done = "added"
        else:
            done = "saved" if update(obj, data) else "unchanged"
        db.session.commit()
    except refusal as error:
        db.session.rollback()
        form.file_errors(error.errors)
        return page(400)
    except IntegrityError:  # lost the race for a unique value: nothing is saved
        db.session.rollback()
        field, message = taken
        field.errors = [message]
        return page(400)
    flash(f"{named(data)} is {done}.", "success")
    return redirect(back_to, 303)
