"""The links in an abandoned-cart reminder, and the guest's consent at checkout.

A GET never changes anything (mail scanners and prefetchers open links): the restore and
unsubscribe links show a page whose button POSTs with the CSRF token of the session the
page created. The one exception is RFC 8058's one-click unsubscribe, which mail clients
POST without cookies or token: it is CSRF-exempt, and safe so (SECURITY.md): the signed
token in its URL is its only authority, and all it can do is stop reminders to the
address that token names.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webshop import cart as carts
from webshop import reminders
from webshop.extensions import csrf, htmx
from webshop.shop.blueprint import bp
from webshop.shop.forms import ReminderConsentForm
from webshop.web import cart_session

ONE_CLICK_BODY = "One-Click"  # RFC 8058: the POST carries List-Unsubscribe=One-Click


def _or_abort(read, token):
    try:
        return read(token)
    except reminders.LinkError as error:
        abort(error.status, description=str(error))


@bp.get("/cart/restore/<token>")
def cart_restore_page(token):
    items = _or_abort(reminders.restore_items, token)
    return render_template("shop/cart_restore.html", token=token,
                           lines=reminders.preview(items))


@bp.post("/cart/restore/<token>")
def cart_restore(token):
    items = _or_abort(reminders.restore_items, token)
    cart, short = carts.restore_lines(items, **cart_session.owner())
    cart_session.remember_count(carts.item_count(cart))
    if short:
        flash(_("Your cart is back. Some items are sold out or no longer available, so "
                "not all of them could be put back."), "error")
    else:
        flash(_("Your cart is back as you left it."), "success")
    return redirect(url_for("shop.cart"), 303)


@bp.get("/reminders/unsubscribe/<token>")
def reminder_unsubscribe_page(token):
    email = _or_abort(reminders.unsubscribe_address, token)
    return render_template("shop/reminder_unsubscribe.html", token=token, done=False,
                           address=reminders.masked(email))


@bp.post("/reminders/unsubscribe/<token>")
def reminder_unsubscribe(token):
    email = _or_abort(reminders.unsubscribe_address, token)
    reminders.unsubscribe(email)
    return render_template("shop/reminder_unsubscribe.html", token=token, done=True,
                           address=reminders.masked(email))


@bp.post("/reminders/unsubscribe/<token>/one-click")
@csrf.exempt  # mail clients post it without a session: the token is the authority
def reminder_one_click(token):
    email = _or_abort(reminders.unsubscribe_address, token)
    if request.form.get("List-Unsubscribe") != ONE_CLICK_BODY:
        abort(400, description="Send List-Unsubscribe=One-Click to unsubscribe.")
    reminders.unsubscribe(email)
    return "You will get no more cart reminders.\n", 200, {"Content-Type": "text/plain"}


def show_consent(form, cart):
    """A guest back at checkout sees the box as they left it (and the address it keeps)."""
    if cart is not None and cart.remind_email and not current_user.is_authenticated:
        form.remind_me.data = True
        form.email.data = form.email.data or cart.remind_email


def remember_consent(cart, form):
    """Keep or drop a guest's address for a reminder as the form's box says (a form with
    `email` and `remind_me`); False when the box is ticked but the email is not valid."""
    consent = bool(form.remind_me.data)
    if consent and not form.email.validate(form):
        return False
    reminders.remember_guest_email(cart, form.email.data, consent)
    return True


@bp.post("/checkout/reminder")
def checkout_reminder():
    """A guest ticks (or unticks) "Email me a reminder" at checkout: with htmx at once,
    without JavaScript together with the checkout form (shop.checkout)."""
    form = ReminderConsentForm()
    if current_user.is_authenticated:
        message = _("Your reminders follow your account's setting.")
    elif not remember_consent(cart_session.current_cart(), form):
        message = _("Enter your email above to get a reminder.")
    elif form.remind_me.data:
        message = _("We will email you a reminder if you don't finish.")
    else:
        message = _("No reminder will be sent.")
    if htmx:
        return render_template("shop/_reminder_consent.html", message=message)
    flash(message, "success")
    return redirect(url_for("shop.checkout"), 303)
