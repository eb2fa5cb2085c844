"""The coupon pages' one flow, shared by the shop's (``admin_views``) and the operator's
(``console_views``): list the coupons with the link form; link a coupon to an affiliate by
code; unlink one. Each side names its template, its services and where to go back to; who
may call is the views' decorators' business.

Bad input re-renders with its message (400; a refusal 409) and keeps what was typed; an
unknown coupon answers 404; linking or unlinking twice changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.coupons.forms import ConfirmForm, LinkForm
from affiliates.coupons.services import CouponRow
from affiliates.errors import AffiliateError
from mall.extensions import db
from mall.pagination import Page, page_number
from tenants.audit import request_actor

EXPIRED = "The form expired: reload the page and try again."


@dataclass(frozen=True)
class CouponPages:
    """One side's coupon pages: what differs between the shop's and the operator's."""

    template: str
    rows: Callable[..., tuple[Page, list[CouponRow]]]  # the coupons, a page at a time
    link_service: Callable[..., bool]  # (coupon code, *, affiliate_code, actor_id)
    unlink_service: Callable[..., bool | None]  # (coupon id, *, actor_id); None: not found
    index: str  # the list's endpoint, relative to the blueprint (".coupons")
    headers: dict[str, str] = field(default_factory=dict)

    def show(
        self, form: LinkForm | None = None, *, notice: str | None = None, status: int = 200
    ) -> ResponseReturnValue:
        """The coupons with their affiliates and the link form (``form`` keeps what was typed)."""
        page, rows = self.rows(page=page_number(request.args.get("page")))
        return (
            render_template(
                self.template,
                page=page,
                rows=rows,
                form=form or LinkForm(formdata=None),
                confirm=ConfirmForm(formdata=None),
                notice=notice,
            ),
            status,
            self.headers,
        )

    def link(self) -> ResponseReturnValue:
        """Link a coupon to an affiliate by code (once)."""
        form = LinkForm()
        if not form.validate_on_submit():
            return self.show(form, status=400)
        try:
            changed = self.link_service(
                form.coupon_code.data,
                affiliate_code=form.affiliate_code.data,
                actor_id=request_actor()["actor_id"],
            )
        except AffiliateError as refused:
            db.session.rollback()
            return self.show(form, notice=str(refused), status=409)
        db.session.commit()
        flash(
            "Coupon linked: its sales now earn the affiliate a commission."
            if changed
            else "The coupon was linked to this affiliate already.",
            "success" if changed else "info",
        )
        return redirect(url_for(self.index), 303)

    def unlink(self, coupon_id: UUID) -> ResponseReturnValue:
        """The coupon's sales earn no affiliate any more (once)."""
        if not ConfirmForm().validate_on_submit():
            return self.show(notice=EXPIRED, status=400)
        changed = self.unlink_service(coupon_id, actor_id=request_actor()["actor_id"])
        if changed is None:
            abort(404)
        db.session.commit()
        flash("Coupon unlinked." if changed else "The coupon was not linked.", "info")
        return redirect(url_for(self.index), 303)
