"""The checkout at /checkout: contact, address, shipping, payment, review, place the order.

Each step's GET shows the form with what was entered before; its POST
validates, calls one service, commits and goes to the next step (303). The
browser keeps a random checkout token in its session; its digest finds the
checkout. After the order is placed the token is dropped, so the next visit
starts a new checkout, and the confirmation is reached by a signed link.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall import signals
from mall.accounts.address_book import address_book
from mall.accounts.addresses import AddressError, PostalAddress, clean_address
from mall.accounts.tokens import TokenInvalid, make_token, read_token
from mall.cart.models import Cart
from mall.cart.services import current_cart, line_count, remember_count
from mall.checkout import forms, referral
from mall.checkout.completion import confirmation_context, get_checkout
from mall.checkout.errors import CheckoutError
from mall.checkout.models import Checkout, CheckoutStatus
from mall.checkout.services import (
    Review,
    billing_address,
    destination_label,
    find_checkout,
    missing_step,
    new_token,
    review,
    saved_address,
    set_addresses,
    set_contact,
    set_payment_method,
    set_shipping_choice,
    shipping_address,
    start_checkout,
)
from mall.checkout.submission import submit_checkout
from mall.extensions import db
from mall.payments.providers import STRIPE
from mall.payments.providers.stripe import checkout_origin
from mall.payments.services import (
    PaymentError,
    confirm_stripe_return,
    parse_card,
    resume_url,
)
from mall.security import policy_with_form_target
from mall.urls import external_url

bp = Blueprint("checkout", __name__, url_prefix="/checkout", template_folder="templates")

TOKEN_KEY = "checkout_token"  # noqa: S105 (the name of a session key)
CONFIRMATION_SALT = "checkout-confirmation"
CONFIRMATION_MAX_AGE = 90 * 24 * 3600
PLACE_FORM_SALT = "checkout-place-form"
STEPS = ("contact", "address", "shipping", "payment", "review")


def _user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _begin() -> tuple[Checkout, Cart] | None:
    """The visitor's open checkout and cart (made on first use); None with an empty cart."""
    cart = current_cart(create=False)
    if cart is None:
        return None
    token = session.get(TOKEN_KEY)
    checkout = find_checkout(token)
    if checkout is None or checkout.status is not CheckoutStatus.OPEN:
        token, checkout = new_token(), None
        session[TOKEN_KEY] = token
    was_new = checkout is None or (checkout.user_id is None and current_user.is_authenticated)
    checkout = start_checkout(token, cart=cart, user=_user(), found=checkout)
    if was_new:
        db.session.commit()
    return checkout, cart


def _go(step: str | None) -> ResponseReturnValue:
    if step == "cart":
        flash("Your cart is empty: add something first.", "warning")
        return redirect(url_for("cart.view"), 303)
    return redirect(url_for(f"checkout.{step or 'review'}"), 303)


def _page(template: str, checkout: Checkout, summary: Review, status: int = 200, **kw: Any):
    # What the review found changed in the cart (a new price, less stock) is said once: kept.
    db.session.commit()
    return (
        render_template(
            f"checkout/{template}.html",
            checkout=checkout,
            summary=summary,
            steps=STEPS,
            destination=destination_label(checkout),
            **kw,
        ),
        status,
    )


def _reached(step: str, checkout: Checkout, summary: Review) -> str | None:
    """The earlier step still missing, if the customer jumped ahead of it."""
    missing = missing_step(checkout, summary)
    if missing is None or missing == "cart":
        return missing
    return missing if STEPS.index(missing) < STEPS.index(step) else None


def step(name: str) -> Callable[[Callable[..., ResponseReturnValue]], Callable[[], Any]]:
    """A step's view gets the visitor's checkout, cart and the cart priced for it.

    Without a cart the visitor goes to the cart; ahead of an earlier step still
    missing (a typed URL, a stale tab), to that step.
    """

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[[], Any]:
        @wraps(view)
        def wrapped() -> ResponseReturnValue:
            begun = _begin()
            if begun is None:
                return _go("cart")
            checkout, cart = begun
            summary = review(checkout, cart)
            if (earlier := _reached(name, checkout, summary)) is not None:
                return _go(earlier)
            return view(checkout, cart, summary)

        return wrapped

    return decorate


@bp.get("/")
def start() -> ResponseReturnValue:
    """Go to the first step not done yet (or the review)."""
    begun = _begin()
    if begun is None:
        return _go("cart")
    checkout, cart = begun
    return _go(missing_step(checkout, review(checkout, cart)))


@bp.route("/contact", methods=["GET", "POST"])
@step("contact")
def contact(checkout: Checkout, cart: Cart, summary: Review) -> ResponseReturnValue:
    """Step 1: the email the confirmation goes to (sign in, or go on as a guest)."""
    form = forms.ContactForm()
    if request.method == "GET" and checkout.email_ct:
        form.email.data = checkout.email
    if form.validate_on_submit():
        set_contact(checkout, email=form.email.data)
        db.session.commit()
        return _go("address")
    return _page("contact", checkout, summary, 400 if form.errors else 200, form=form)


def _address_forms(prefix: str, address: PostalAddress | None) -> forms.AddressFields:
    fields = forms.AddressFields(prefix=prefix)
    if request.method == "GET" and address is not None:
        for name in ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone"):
            getattr(fields, name).data = getattr(address, name)
    return fields


def _clean(fields: forms.AddressFields) -> PostalAddress | None:
    raw = {name: field.data for name, field in fields._fields.items()}
    try:
        return clean_address(raw)
    except AddressError as error:
        for name, message in error.errors.items():
            getattr(fields, name).errors = [*getattr(fields, name).errors, message]
        return None


@bp.route("/address", methods=["GET", "POST"])
@step("address")
def address(checkout: Checkout, cart: Cart, summary: Review) -> ResponseReturnValue:
    """Step 2: one shipping address for every shop (and a billing address if different)."""
    user = _user()
    saved = address_book(user) if user is not None else []
    form = forms.AddressForm()
    # The name first: two saved addresses at one street differ only by it.
    form.saved.choices = [(str(e.id), ", ".join(e.address.lines())) for e in saved] + [("", "New")]
    ship = _address_forms("ship", shipping_address(checkout) or billing_address(checkout))
    bill = _address_forms("bill", billing_address(checkout))
    if request.method == "GET" and not ship.country.data and checkout.country:
        ship.country.data = checkout.country  # the country the cart estimated for
    if request.method == "GET":
        form.billing_same.data = checkout.billing_address_ct is None
        if checkout.shipping_address_ct is None and checkout.billing_address_ct is None:
            # Nothing chosen yet for this checkout: offer the account's default address.
            form.saved.data = next((str(e.id) for e in saved if e.is_default), "")
    if form.validate_on_submit():
        chosen = _chosen_saved(user, form.saved.data)
        if chosen is not None and _typed_another(ship, checkout, chosen):
            # The saved address is chosen by default: what was typed must not vanish silently.
            form.saved.errors = [TYPED_AND_SAVED]
            chosen = main = None
        else:
            main = chosen or _clean(ship)
        parcels = summary.needs_shipping
        separate = parcels and not form.billing_same.data
        billing = _clean(bill) if separate else None
        if main is not None and (not separate or billing is not None):
            kept = set_addresses(
                checkout,
                # Digital items only: nothing ships, the one address is for the invoice.
                shipping=main if parcels else None,
                billing=billing if parcels else main,
                save_for=user if form.save.data and chosen is None else None,
            )
            db.session.commit()
            if not kept:
                flash(
                    "Your address book is full, so this address was not saved to it: "
                    "delete one under Your account to keep new ones.",
                    "warning",
                )
            return _go("shipping" if parcels else "payment")
    status = 400 if request.method == "POST" else 200
    return _page("address", checkout, summary, status, form=form, ship=ship, bill=bill, saved=saved)


TYPED_AND_SAVED = (
    "You typed a new address while a saved one is chosen: choose “A new address (below)” "
    "to use what you typed, or clear the new address to use the saved one."
)


def _typed_another(fields: forms.AddressFields, checkout: Checkout, chosen: PostalAddress) -> bool:
    """True when the new-address street holds something typed: neither the chosen saved
    address's nor the one this checkout already had (the form shows that one again)."""
    typed = (fields.line1.data or "").strip()
    before = shipping_address(checkout) or billing_address(checkout)
    known = {chosen.line1, before.line1 if before is not None else None}
    return bool(typed) and typed not in known


def _chosen_saved(user: Any, raw: str | None) -> PostalAddress | None:
    if user is None or not raw:
        return None
    try:
        return saved_address(user, UUID(raw))
    except ValueError:
        return None


@bp.route("/shipping", methods=["GET", "POST"])
@step("shipping")
def shipping(checkout: Checkout, cart: Cart, summary: Review) -> ResponseReturnValue:
    """Step 3: a shipping method for each shop's parcel (digital parts need none)."""
    if request.method == "POST":
        choice, missing = _shipping_choice(summary)
        if not missing:
            set_shipping_choice(checkout, choice)
            db.session.commit()
            return _go("payment")
        flash("Choose a shipping method for each shop.", "error")
        return _page("shipping", checkout, summary, 400)
    return _page("shipping", checkout, summary)


def _shipping_choice(summary: Review) -> tuple[dict[UUID, UUID], bool]:
    choice: dict[UUID, UUID] = {}
    missing = False
    for part in summary.quote.shops:
        if not part.needs_shipping:
            continue
        offered = {option.method_id.hex: option.method_id for option in part.shipping_options}
        picked = offered.get(request.form.get(f"shipping-{part.tenant_id.hex}", ""))
        if picked is None:
            missing = True
        else:
            choice[part.tenant_id] = picked
    return choice, missing


@bp.route("/payment", methods=["GET", "POST"])
@step("payment")
def payment(checkout: Checkout, cart: Cart, summary: Review) -> ResponseReturnValue:
    """Step 4: how to pay (the methods every shop in the cart accepts)."""
    form = forms.PaymentForm()
    form.method.choices = [(m.name, m.label) for m in summary.methods]
    if request.method == "GET" and checkout.payment_method:
        form.method.data = checkout.payment_method
    if form.validate_on_submit():
        try:
            set_payment_method(checkout, form.method.data, offered=summary.methods)
        except CheckoutError as error:
            form.method.errors = [str(error)]
        else:
            db.session.commit()
            return _go("review")
    return _page("payment", checkout, summary, 400 if form.errors else 200, form=form)


@bp.get("/review", endpoint="review")
@step("review")
def review_page(checkout: Checkout, cart: Cart, summary: Review) -> ResponseReturnValue:
    """Step 5: everything at once, every shop's part and the total; then place the order."""
    form = forms.PlaceOrderForm(
        reviewed=summary.fingerprint, key=make_token(PLACE_FORM_SALT, {"c": checkout.id.hex})
    )
    page = _page("review", checkout, summary, form=form, address=shipping_address(checkout))
    if checkout.payment_method != STRIPE:
        return page
    # Placing answers with a redirect to Stripe's hosted page, which the CSP must allow.
    return *page, {"Content-Security-Policy": policy_with_form_target(checkout_origin())}


@bp.post("/place")
def place() -> ResponseReturnValue:
    """Place the orders and pay: once, however often the button is pressed."""
    checkout = find_checkout(session.get(TOKEN_KEY))
    cart = current_cart(create=False)
    form = forms.PlaceOrderForm()
    valid = form.validate_on_submit()
    if checkout is None and valid:
        # Placing drops the browser's token: the same form pressed again (a double click, a
        # retry) finds its checkout by the form's signed key and lands where the first did.
        checkout = _placed_by(form.key.data)
    if checkout is None or not valid:
        flash("Your checkout has expired: please start again.", "warning")
        return redirect(url_for("cart.view"), 303)
    if checkout.status is not CheckoutStatus.OPEN:
        return _placed_already(checkout)
    if cart is None:
        return _go("cart")
    try:
        card = None
        if checkout.payment_method == "offline_card":
            card = parse_card(form.card_number.data, form.card_expiry.data, form.card_cvc.data)
        placed = submit_checkout(
            checkout,
            cart=cart,
            reviewed=form.reviewed.data or "",
            card=card,
            referral=referral.load(request.cookies.get(referral.COOKIE)),
            success_url=external_url("checkout.stripe_return", checkout_id=checkout.id)
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=external_url("checkout.review"),
        )
    except (CheckoutError, PaymentError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("checkout.review"), 303)
    if not placed.already:  # the newsletters the customer ticked (none is pre-ticked)
        signals.checkout_placed.send(
            placed.checkout, opt_ins=tuple(request.form.getlist("newsletter"))
        )
    db.session.commit()
    remember_count(line_count(cart))  # the header's badge: what was ordered left the cart
    if placed.already:
        return _placed_already(placed.checkout)
    if placed.redirect_url:
        return redirect(placed.redirect_url, 303)
    return _after_placing(placed.checkout)


def _placed_by(key: str | None) -> Checkout | None:
    """The placed checkout a review form was rendered for (None: not placed, or a bad key)."""
    try:
        payload = read_token(PLACE_FORM_SALT, key or "", CONFIRMATION_MAX_AGE)
        checkout = get_checkout(UUID(hex=str(payload.get("c"))))
    except (TokenInvalid, ValueError):
        return None
    return checkout if checkout is not None and checkout.status is not CheckoutStatus.OPEN else None


def _placed_already(checkout: Checkout) -> ResponseReturnValue:
    """A second press of "Place order": back to Stripe's page while it waits, else the result."""
    try:
        url = resume_url(checkout.id) if checkout.status is CheckoutStatus.SUBMITTED else None
    except PaymentError:
        url = None
    return redirect(url, 303) if url else _after_placing(checkout)


def _after_placing(checkout: Checkout) -> ResponseReturnValue:
    session.pop(TOKEN_KEY, None)
    token = make_token(CONFIRMATION_SALT, {"c": checkout.id.hex})
    return redirect(url_for("checkout.confirmation", token=token), 303)


@bp.get("/return/<uuid:checkout_id>")
def stripe_return(checkout_id: UUID) -> ResponseReturnValue:
    """Back from Stripe's page: confirm the payment there (the webhook may have done it)."""
    checkout = db.session.get(Checkout, checkout_id)
    session_id = request.args.get("session_id", "")
    if checkout is None:
        abort(404)
    try:
        confirm_stripe_return(checkout.id, session_id)
    except PaymentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("cart.view"), 303)
    db.session.commit()
    if find_checkout(session.get(TOKEN_KEY)) is not checkout:
        # Another browser (or a lost session): the payment counts, the details go by email.
        flash("Thank you: your payment is being confirmed; the confirmation goes to your inbox.")
        return redirect(url_for("pages.home"), 303)
    return _after_placing(checkout)


@bp.get("/thanks/<token>")
def confirmation(token: str) -> ResponseReturnValue:
    """The confirmation: each shop's order number and part, and what happens next."""
    try:
        payload = read_token(CONFIRMATION_SALT, token, CONFIRMATION_MAX_AGE)
        checkout_id = UUID(hex=str(payload.get("c")))
    except (TokenInvalid, ValueError):
        abort(404)
    context = confirmation_context(checkout_id)
    if context is None:
        abort(404)
    return render_template("checkout/confirmation.html", **context)
