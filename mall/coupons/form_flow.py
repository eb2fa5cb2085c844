"""The coupon form's round trip, the same for a shop's coupons and the mall's.

Show the form (filled from the coupon being edited), or validate it, call the
create or update service, commit and say what happened; refused input (a bad
field, a code another coupon took meanwhile) re-renders the form with 400 and
saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from mall.coupons.editing import CouponInput
from mall.coupons.errors import InvalidCoupon
from mall.coupons.forms import CouponForm
from mall.coupons.services import normalise_code
from mall.extensions import db


def coupon_form_round_trip(
    form: CouponForm,
    coupon: Any,
    *,
    template: str,
    create: Callable[[CouponInput], Any],
    update: Callable[[Any, CouponInput], bool],
    noun: str,
    back_to: str,
) -> ResponseReturnValue:
    """GET: the form; POST: save through ``create``/``update``, flash, 303 to ``back_to``."""

    def page(status: int = 200) -> ResponseReturnValue:
        return render_template(template, form=form, coupon=coupon), status

    if request.method == "GET":
        if coupon is not None:
            form.fill(coupon)
        return page()
    data = form.to_input()
    if data is None:
        return page(400)
    try:
        if coupon is None:
            create(data)
            done = "added"
        else:
            done = "saved" if update(coupon, data) else "unchanged"
        db.session.commit()
    except InvalidCoupon as error:
        db.session.rollback()
        form.file_errors(error.errors)
        return page(400)
    except IntegrityError:  # lost a race for the code: nothing is saved
        db.session.rollback()
        form.code.errors = ["Another coupon already has this code."]
        return page(400)
    flash(f"{noun} {normalise_code(data.code)} is {done}.", "success")
    return redirect(back_to, 303)
