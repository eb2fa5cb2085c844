"""The newsletter pages shared by a shop's back office and the operator console.

Each view of ``admin_views`` and ``console_views`` hands its audience here:
validate the form, call one service, commit (or roll back), flash, 303.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.catalog.markdown import render_markdown
from mall.extensions import db
from mall.newsletters import services
from mall.newsletters.errors import NewsletterError
from mall.newsletters.forms import NewsletterForm, SendForm
from mall.newsletters.models import MallNewsletter, Newsletter, NewsletterStatus
from mall.pagination import page_number, paginate

PER_PAGE = 25


@dataclass(frozen=True)
class Audience:
    """Whose newsletters a page shows: a shop's (in its context) or the mall's."""

    endpoint: str  # the blueprint's name
    layout: str  # the template the pages extend
    mall: bool
    get: Callable[[Any], Any]

    @property
    def model(self) -> type:
        return MallNewsletter if self.mall else Newsletter


def _render(
    audience: Audience, template: str, status: int = 200, **context: Any
) -> ResponseReturnValue:
    return (
        render_template(
            f"newsletters/{template}.html",
            audience=audience,
            layout=audience.layout,
            ep=audience.endpoint,
            **context,
        ),
        status,
        {"Cache-Control": "private, no-store"},
    )


def index(
    audience: Audience, form: NewsletterForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """The list, newest first (paginated), and the new draft's form."""
    model = audience.model
    found = paginate(
        sa.select(model).order_by(model.created_at.desc(), model.id.desc()),
        page=page_number(request.args.get("page")),
        per_page=PER_PAGE,
    )
    return _render(
        audience,
        "index",
        status,
        page=found,
        form=form or NewsletterForm(formdata=None),
        subscribers=services.subscriber_count(mall=audience.mall),
    )


def create(audience: Audience) -> ResponseReturnValue:
    """Save a new draft and open it."""
    form = NewsletterForm()
    if not form.validate_on_submit():
        return index(audience, form, 400)
    try:
        newsletter = services.create_newsletter(
            form.subject.data, body=form.body.data, mall=audience.mall
        )
    except NewsletterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return index(audience, form, 400)
    db.session.commit()
    flash("Draft saved. Check the preview, then send it.", "success")
    return redirect(url_for(f"{audience.endpoint}.show", newsletter_id=newsletter.id), 303)


def show(
    audience: Audience, newsletter: Any, form: NewsletterForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """A draft (form and preview) or a newsletter going out (its progress)."""
    return _render(
        audience,
        "newsletter",
        status,
        newsletter=newsletter,
        form=form or NewsletterForm(obj=newsletter, formdata=None),
        send_form=SendForm(),
        preview=render_markdown(newsletter.body),
        subscribers=services.subscriber_count(mall=audience.mall),
        sending=newsletter.status is NewsletterStatus.SENDING,
    )


def update(audience: Audience, newsletter: Any) -> ResponseReturnValue:
    """Save a changed draft."""
    form = NewsletterForm()
    if not form.validate_on_submit():
        return show(audience, newsletter, form, 400)
    try:
        services.update_newsletter(newsletter, subject=form.subject.data, body=form.body.data)
    except NewsletterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(f"{audience.endpoint}.show", newsletter_id=newsletter.id), 303)
    db.session.commit()
    flash("Draft saved.", "success")
    return redirect(url_for(f"{audience.endpoint}.show", newsletter_id=newsletter.id), 303)


def send(audience: Audience, newsletter: Any) -> ResponseReturnValue:
    """Start (or resume) sending; a sent newsletter is not sent again."""
    target = url_for(f"{audience.endpoint}.show", newsletter_id=newsletter.id)
    if not SendForm().validate_on_submit():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(target, 303)
    try:
        started = services.start_sending(newsletter)
    except NewsletterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(target, 303)
    db.session.commit()
    if started:
        flash("Sending: the progress shows below.", "success")
    else:
        flash("This newsletter was already sent.", "info")
    return redirect(target, 303)
