"""Emails to customers: what each event sends, and the jobs that send it, in whose language.

Notifications subscribe to the domain's events (webshop.events) at start-up: an order's
status change or a password reset request writes the email's job into the outbox inside
the same unit of work, and the message goes out after the commit (webshop.outbox). The
jobs render templates/email/<kind>.txt and .html and hand the message to webshop.mail.

A refund that staff or the Stripe Dashboard made sends its own email once it counts
(webshop.events.refund_counted), at most once per refund, stating the amount
given back and whether it is partial.

An order email is sent at most once per (kind, order), however often its job runs: the
job claims a SentEmail row (unique dedupe_key) in a transaction that stays open while
the message is sent, and commits only after the server accepted it. A job killed or
failing before that leaves no claim, so the retry sends; a job that runs again after a
send finds the row and sends nothing. (A crash in the instant between the server's
"250 OK" and the commit would send twice: SMTP offers nothing stronger.)

Language (webshop.i18n, through flask_babel.force_locale, since jobs have no request): an
order's emails (and a gift card bought with one) in the order's; the emails a form asks
for (registration, password reset) in the language of that request, carried in the
outbox message; the rest in the language the address last ordered in (English if none).
"""
import logging
import secrets

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webshop import accounts, events, i18n, mail, outbox, reminders, returns, wishlists
from webshop.i18n import _N
from webshop.pricing import country_name, shipping_label
from webshop.extensions import db
from webshop.models import Order, ProductVariant, Refund, ReturnRequest, SentEmail, User
from webshop.orders import access_token
from webshop.orders.refunds import COUNTED
from webshop import promotions
from webshop.models.promotions import GiftCard

log = logging.getLogger(__name__)

ORDER_EMAILS = {  # translated (webshop/translations): %(number)s is the order's
    "order_confirmation": _N("Your order %(number)s is confirmed"),
    "order_dispatched": _N("Your order %(number)s is on its way"),
    "order_cancelled": _N("Your order %(number)s has been cancelled"),
    "order_refunded": _N("Your order %(number)s has been refunded"),
}
# The email each status change sends the customer.
STATUS_EMAILS = {
    "paid": "order_confirmation", "dispatched": "order_dispatched",
    "cancelled": "order_cancelled", "refunded": "order_refunded",
}
# Links in emails when BASE_URL is unset (development): where `make run` serves the shop.
DEVELOPMENT_URL = "http://127.0.0.1:5000"
REFUND_EMAIL = "order_refund"
REFUND_SUBJECTS = {
    False: _N("Your order %(number)s has been refunded"),
    True: _N("A partial refund for your order %(number)s"),
}
# A return's status change (webshop.returns): one email per status, at most once each.
RETURN_EMAIL = "return_update"
RETURN_SUBJECTS = {
    "requested": _N("We have your return request for order %(number)s"),
    "approved": _N("Your return for order %(number)s is approved"),
    "refused": _N("Your return request for order %(number)s was refused"),
    "received": _N("We have received your return for order %(number)s"),
    "refunded": _N("Your return for order %(number)s is refunded"),
    "closed": _N("Your return for order %(number)s is closed"),
}
PASSWORD_RESET_SUBJECT = _N("Reset your %(shop)s password")
# An abandoned cart (webshop.reminders): each reminder of a cart sent at most once.
REMINDER_EMAIL = "cart_reminder"
REMINDER_SUBJECT = _N("You left something in your cart at %(shop)s")
GIFT_CARD_SUBJECT = _N("Your %(shop)s gift card")
BACK_IN_STOCK_SUBJECT = _N("%(product)s is back in stock at %(shop)s")
# What registration mails: a link to finish, or (the address has an account) a note.
REGISTRATION_SUBJECTS = {
    "registration_link": _N("Finish creating your %(shop)s account"),
    "account_exists": _N("You already have a %(shop)s account"),
}


def init_app(app):
    """Subscribe to the domain's events (once per process; blinker ignores repeats)."""
    events.order_changed.connect(_on_order_changed)
    events.password_reset_requested.connect(_on_password_reset_requested)
    events.refund_counted.connect(_on_refund_counted)
    events.account_email_requested.connect(_on_account_email_requested)
    events.gift_card_issued.connect(_on_gift_card_issued)
    events.return_changed.connect(_on_return_changed)
    events.cart_abandoned.connect(_on_cart_abandoned)
    events.variants_restocked.connect(_on_variants_restocked)


def _on_order_changed(order, status, notify_customer=True):
    if notify_customer and status in STATUS_EMAILS:
        notify_order(STATUS_EMAILS[status], order.id)


def _on_refund_counted(refund):
    outbox.enqueue("webshop.notifications.send_refund_email", refund.id)


def _on_return_changed(request, status):
    if status in RETURN_SUBJECTS:
        outbox.enqueue("webshop.notifications.send_return_email", request.id, status)


def _on_gift_card_issued(card):
    outbox.enqueue("webshop.notifications.send_gift_card_email", card.id)


def _on_cart_abandoned(cart_id, number):
    outbox.enqueue("webshop.notifications.send_cart_reminder", cart_id, number)


def _on_variants_restocked(variant_ids, session):
    for user_id, variant_id in wishlists.claim_restock_notices(variant_ids, session):
        outbox.enqueue("webshop.notifications.send_back_in_stock", user_id, variant_id,
                       _notice_token())


def _notice_token():
    """Tells one restock's notice from the next one's (the email's dedupe key)."""
    return secrets.token_hex(8)


def _on_password_reset_requested(user):
    notify_password_reset(user)


def _on_account_email_requested(email, purpose):
    if purpose not in ("register", "password-reset"):
        raise ValueError(f"unknown account email {purpose!r}")
    # The request that asked for it (webshop.i18n) says the language; the job has none.
    outbox.enqueue("webshop.notifications.send_account_email", purpose, email, i18n.current())


# --- writing to the outbox (inside the caller's unit of work; no commit) --------------------

def notify_order(kind, order_id):
    """Queue the customer's `kind` email about the order, to go out after the commit."""
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order email {kind!r}")
    return outbox.enqueue("webshop.notifications.send_order_email", kind, order_id)


def notify_password_reset(user):
    """Queue a password reset link for the user, to go out after the commit.

    The link's token is made when the mail is sent, so it is never stored in the
    outbox or in Redis.
    """
    return outbox.enqueue("webshop.notifications.send_password_reset", user.id)


# --- jobs (run by the worker, or in-process in embedded mode) ---------------------------

def send_order_email(kind, order_id):
    """Send the `kind` email for the order once; returns "sent", "duplicate" or "missing"."""
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order email {kind!r}")
    order = db.session.scalar(
        select(Order).options(selectinload(Order.items)).where(Order.id == order_id)
    )
    if order is None:
        log.warning("%s for order %s not sent: the order is gone", kind, order_id)
        return "missing"
    message = _order_message(kind, order)
    db.session.rollback()  # end the read; the claim below is a transaction of its own
    return _send_once(message, kind, order_id, f"{kind}:{order_id}")


def send_refund_email(refund_id):
    """Tell the customer about one refund, once: the amount given back, and whether it
    is partial (what was refunded up to this refund is less than the order's total).
    Returns "sent", "duplicate", "missing" or "skipped" (it failed before we got here)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        return "missing"
    if refund.status not in COUNTED:
        log.info("refund %s is %s: no email", refund_id, refund.status)
        return "skipped"
    order = db.session.scalar(
        select(Order).options(selectinload(Order.items)).where(Order.id == refund.order_id))
    so_far = sum(r.amount for r in order.refunds if r.status in COUNTED and r.id <= refund.id)
    partial = so_far < order.total
    message = _order_message(REFUND_EMAIL, order, subject=REFUND_SUBJECTS[partial], refund=refund,
                             partial=partial, refunded_so_far=so_far)
    order_id = order.id
    db.session.rollback()
    return _send_once(message, REFUND_EMAIL, order_id, f"{REFUND_EMAIL}:{refund_id}")


def send_return_email(return_id, status):
    """Tell the shopper what became of their return (one email per status, once).
    Returns "sent", "duplicate" or "missing"."""
    if status not in RETURN_SUBJECTS:
        raise ValueError(f"unknown return status {status!r}")
    request = db.session.get(ReturnRequest, return_id)
    if request is None:
        return "missing"
    order = db.session.scalar(
        select(Order).options(selectinload(Order.items)).where(Order.id == request.order_id))
    message = _order_message(
        RETURN_EMAIL, order, subject=RETURN_SUBJECTS[status], status=status,
        rma=returns.view(request, order))
    order_id = order.id
    db.session.rollback()
    return _send_once(message, RETURN_EMAIL, order_id, f"{RETURN_EMAIL}:{status}:{return_id}")


def send_gift_card_email(card_id):
    """Send a new gift card's code to the address it was issued to, once."""
    card = db.session.get(GiftCard, card_id)
    if card is None or not card.email:
        return "missing"
    order = db.session.get(Order, card.order_id) if card.order_id else None
    context = {"card": card, "code": promotions.grouped(card.code),
               "order_number": order.number if order else "",
               "shop_url": absolute_url("shop.home")}
    language = order.locale if order else accounts.language_of(card.email)
    message = _message(language, card.email, "gift_card", GIFT_CARD_SUBJECT, context)
    order_id = card.order_id
    db.session.rollback()
    return _send_once(message, "gift_card", order_id, f"gift_card:{card_id}")


def _send_once(message, kind, order_id, dedupe_key):
    """Claim `dedupe_key`, send, and keep the claim only if the server took the message."""
    db.session.add(SentEmail(kind=kind, order_id=order_id, recipient=message["To"],
                             dedupe_key=dedupe_key))
    try:
        # Waits here if another run of this job holds the claim, until it commits
        # (then: duplicate) or rolls back (then: ours).
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("%s for order %s was already sent", dedupe_key, order_id)
        return "duplicate"
    try:
        mail.send(message, kind, order_id)
    except BaseException:
        db.session.rollback()  # no record: the retry sends it
        raise
    db.session.commit()
    return "sent"


def send_back_in_stock(user_id, variant_id, token):
    """Tell a shopper the variant they waited for is back (once per restock: `token`);
    "skipped" if the account, the product or the stock is gone again."""
    user = db.session.get(User, user_id)
    variant = db.session.get(ProductVariant, variant_id)
    if (user is None or not user.active or variant is None or variant.stock <= 0
            or not variant.product.active):
        db.session.rollback()
        return "skipped"
    product = variant.product
    context = {"product": product, "variant": variant,
               "product_url": absolute_url("shop.product_detail", slug=product.slug,
                                           variant_id=variant.id),
               "wishlist_url": absolute_url("auth.wishlist")}
    message = _message(accounts.language_of(user.email), user.email, "back_in_stock",
                       BACK_IN_STOCK_SUBJECT, context, product=product.name)
    db.session.rollback()
    return _send_once(message, "back_in_stock", None,
                      f"back_in_stock:{user_id}:{variant_id}:{token}")


def send_cart_reminder(cart_id, number):
    """Reminder `number` of an abandoned cart: its lines at today's prices, a link that
    restores them and one that unsubscribes (also as RFC 8058 one-click headers).
    Sent once; "skipped" when it should no longer go out (webshop.reminders decides)."""
    reminder = reminders.reminder_email(cart_id, number)
    if reminder is None:
        db.session.rollback()
        log.info("reminder %s of cart %s not sent: no longer due", number, cart_id)
        return "skipped"
    one_click = absolute_url("shop.reminder_one_click", token=reminder.unsubscribe_token)
    context = {
        "reminder": reminder,
        "restore_url": absolute_url("shop.cart_restore", token=reminder.restore_token),
        "unsubscribe_url": absolute_url("shop.reminder_unsubscribe",
                                        token=reminder.unsubscribe_token),
    }
    message = _message(accounts.language_of(reminder.email), reminder.email, REMINDER_EMAIL,
                       REMINDER_SUBJECT, context,
                       headers={"List-Unsubscribe": f"<{one_click}>",
                                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    db.session.rollback()
    return _send_once(message, REMINDER_EMAIL, None, f"{REMINDER_EMAIL}:{cart_id}:{number}")


def send_password_reset(user_id, token=None, locale=None):
    """Send a password reset link to the user (each request its own mail, no dedupe), in
    `locale` (the asking request's) or else the language the user last ordered in."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        log.info("password reset for user %s not sent: no active account", user_id)
        return "skipped"
    token = token or accounts.password_reset_token(user)
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    context = {
        "user": user,
        "reset_url": absolute_url("auth.password_reset", token=token),
        "forgot_url": absolute_url("auth.password_forgot"),
        "valid_minutes": max(max_age // 60, 1),
    }
    message = _message(locale or accounts.language_of(user.email), user.email,
                       "password_reset", PASSWORD_RESET_SUBJECT, context)
    db.session.rollback()  # nothing to keep; don't hold a transaction while talking SMTP
    mail.send(message, "password_reset", user_id)
    return "sent"


def send_account_email(purpose, email, locale=None):
    """The email a registration or forgotten-password form asked for, decided now (the
    request never looked the address up): "password-reset" mails a reset link to an
    active account, else nothing; "register" mails a link to finish registering, or
    the existing account's owner a note with links to log in and reset the password.
    Each request its own mail (no dedupe; the forms are rate-limited per address), in
    `locale`: the language of the request that asked (None in messages queued before).
    """
    user = db.session.scalar(select(User).where(User.email == email))
    if purpose == "password-reset":
        if user is None or not user.active:
            log.info("password reset not sent: no active account for that address")
            db.session.rollback()
            return "skipped"
        return send_password_reset(user.id, locale=locale)
    if purpose != "register":
        raise ValueError(f"unknown account email {purpose!r}")
    kind = "registration_link" if user is None else "account_exists"
    context = {
        "email": email,
        "register_url": absolute_url("auth.register_finish",
                                     token=accounts.registration_token(email)),
        "valid_hours": max(current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600, 1),
        "login_url": absolute_url("auth.login"),
        "forgot_url": absolute_url("auth.password_forgot"),
    }
    message = _message(locale, email, kind, REGISTRATION_SUBJECTS[kind], context)
    db.session.rollback()  # nothing to keep; don't hold a transaction while talking SMTP
    mail.send(message, kind, user.id if user is not None else "new")
    return "sent"


# --- rendering ----------------------------------------------------------------------------

def _order_message(kind, order, subject=None, **extra):
    """The email in the order's language (webshop.i18n: the shopper's when placing it)."""
    with force_locale(order.locale or i18n.DEFAULT):
        return _order_message_in_locale(kind, order, subject, **extra)


def _order_message_in_locale(kind, order, subject, **extra):
    subject = gettext(subject or ORDER_EMAILS[kind], number=order.number)
    context = {
        **extra,
        "kind": kind,
        "subject": subject,
        "order": order,
        "items": order.items,
        # For registered customers too: whoever holds the link may see the order.
        "order_url": absolute_url("shop.order_status", number=order.number,
                                  token=access_token(order)),
        "invoice_url": absolute_url("shop.order_invoice", number=order.number,
                                    token=access_token(order)),
        "shipping_label": shipping_label(order),
        "country": country_name(order.ship_country),
    }
    return mail.build_message(
        order.email, subject,
        render_template(f"email/{kind}.txt", **context),
        render_template(f"email/{kind}.html", **context),
    )


def _message(locale, to, kind, subject, context, headers=None, **subject_values):
    """email/<kind>.txt and .html in `locale` (None: the default), with the subject (a
    msgid taking %(shop)s and `subject_values`) translated too."""
    with force_locale(locale or i18n.DEFAULT):
        context["subject"] = gettext(subject, shop=current_app.config["SHOP_NAME"],
                                     **subject_values)
        return mail.build_message(
            to, context["subject"], render_template(f"email/{kind}.txt", **context),
            render_template(f"email/{kind}.html", **context), headers=headers)


def absolute_url(endpoint, **values):
    """BASE_URL + the route's path: links in emails, built outside any request."""
    config = current_app.config
    adapter = current_app.url_map.bind("localhost", script_name=config.get("APPLICATION_ROOT") or "/")
    return (config["BASE_URL"] or DEVELOPMENT_URL).rstrip("/") + adapter.build(endpoint, values)
