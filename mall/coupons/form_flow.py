"""The coupon form's round trip and its on/off switch, the same for a shop's coupons and the mall's.

Show the form (filled from the coupon being edited), or validate it, call the
create or update service, commit and say what happened; refused input (a bad
field, a code another coupon took meanwhile) re-renders the form with 400 and
saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from mall.coupons.editing import CouponInput, set_coupon_active
from mall.coupons.errors import InvalidCoupon
from mall.coupons.forms import ActiveForm, CouponForm
from mall.coupons.services import normalise_code
from mall.extensions import db
from mall.form_flow import form_round_trip


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
    return form_round_trip(
        form,
        coupon,
        template=template,
        shown_as="coupon",
        create=create,
        update=update,
        refusal=InvalidCoupon,
        taken=(form.code, "Another coupon already has this code."),
        named=lambda data: f"{noun} {normalise_code(data.code)}",
        back_to=back_to,
    )


def coupon_active_switch(coupon: Any, *, noun: str, back_to: str) -> ResponseReturnValue:
    """Stop ``coupon`` being used or allow it again, as the posted form says; 303 to ``back_to``."""
    form = ActiveForm()
    if not form.validate():
        flash("That change was not understood; please use the buttons.", "error")
        return redirect(back_to, 303)
    active = form.active.data == "1"
    code = coupon.code
    changed = set_coupon_active(coupon, active=active)
    db.session.commit()
    state = "usable again" if active else "deactivated"
    if changed:
        flash(f"{noun} {code} is {state}.", "success")
    else:
        flash(f"{noun} {code} already was {state}.", "info")
    return redirect(back_to, 303)
