"""The shop's calls to Stripe: Checkout Sessions and refunds, through the stripe library.

Without STRIPE_SECRET_KEY the same calls go to the built-in sandbox (see
webshop.payments.sandbox) by pointing the library's API base at it. This module is the
payment provider the orders lifecycle asks (`close_checkout`, `refund`); what a result
means for an order is decided there, not here.
"""
import logging
from datetime import timedelta

import stripe
from flask import current_app, has_request_context, request
from flask_babel import gettext
from sqlalchemy import inspect, or_, update

from webshop.extensions import db
from webshop.models import Order, utcnow
from webshop.models.base import as_utc, locked
from webshop.orders import PaymentError
from webshop.payments.lookup import marker

log = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes from now: a
# reservation shorter than MIN_SESSION_LIFETIME is stretched to SESSION_LIFETIME.
MIN_SESSION_LIFETIME = timedelta(minutes=30, seconds=30)
SESSION_LIFETIME = timedelta(minutes=31)
SANDBOX_KEY = "sk_test_sandbox"

__all__ = ["PaymentError", "checkout_state", "client", "close_checkout", "refund", "start_checkout"]


def client():
    """A StripeClient for this app. With STRIPE_SECRET_KEY, Stripe (or STRIPE_API_BASE);
    in sandbox mode, the sandbox at STRIPE_API_BASE when it is served elsewhere, else the
    one this app serves, called in-process: a request thread never waits on an HTTP call
    back into its own server. Calls over the network give up after STRIPE_TIMEOUT
    seconds; every call is retried up to STRIPE_MAX_NETWORK_RETRIES times."""
    config = current_app.config
    api_base = config["STRIPE_API_BASE"]
    retries = config["STRIPE_MAX_NETWORK_RETRIES"]
    if config["STRIPE_SANDBOX"] and not api_base:
        # Imported here: with real Stripe the sandbox's code is never loaded.
        from webshop.payments.sandbox.transport import InProcessClient
        # The shop's own address (the request's, so any host and port works) becomes the
        # sandbox request's: its payment page is served where the shopper already is.
        shop_url = request.host_url if has_request_context() else (
            config["BASE_URL"] or "http://localhost")
        return stripe.StripeClient(
            SANDBOX_KEY, max_network_retries=retries,
            base_addresses={"api": shop_url.rstrip("/") + "/_sandbox/stripe"},
            http_client=InProcessClient(current_app._get_current_object()),
        )
    key = SANDBOX_KEY if config["STRIPE_SANDBOX"] else config["STRIPE_SECRET_KEY"]
    options = {"base_addresses": {"api": api_base}} if api_base else {}
    return stripe.StripeClient(
        key, max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT"]), **options,
    )


def start_checkout(order_id, success_url, cancel_url, placed=None):
    """The URL of the order's Stripe Checkout page, creating the session if needed.

    One session per order: under the order's row lock the reservation is stretched to
    Stripe's minimum lifetime once, so every attempt (a double click, a retried POST)
    sends the same parameters with the same idempotency key and Stripe answers with the
    same session. No transaction is open while Stripe is called; the session id is then
    stored with a compare-and-set, before the shopper is sent away, so a webhook that
    arrives first finds its order.

    `placed`: the order as orders.place_order has just committed it in this request.
    If it is still loaded, pending, without a session and reserved for longer than a
    session lives, the session is made from it without reading the order again (no
    lock and no transaction before the call); the compare-and-set afterwards still
    settles a race with another attempt, as it does for every attempt.
    """
    if _just_placed(placed):
        order = placed
    else:
        order = locked(Order, order_id)
        if order.status != "pending":
            db.session.rollback()
            raise PaymentError(gettext("This order is not waiting for payment."))
        if (order.stripe_checkout_session_id is None
                and as_utc(order.reserved_until) < utcnow() + MIN_SESSION_LIFETIME):
            order.reserved_until = utcnow() + SESSION_LIFETIME
    number, session_id = order.number, order.stripe_checkout_session_id
    expires = as_utc(order.reserved_until)
    params = _session_params(order, success_url, cancel_url, expires)
    db.session.commit()  # nothing stays open across the call (nothing to end if just placed)
    api = client().v1.checkout.sessions
    try:
        if session_id:
            return _open_url(api.retrieve(session_id))
        session = api.create(params=params, options={
            "idempotency_key": f"checkout-{number}-{int(expires.timestamp())}"})
    except stripe.StripeError as error:
        log.warning("checkout session for %s failed: %s", number, error)
        raise _unreachable() from error
    stored = db.session.execute(
        update(Order).where(Order.id == order_id, or_(
            Order.stripe_checkout_session_id.is_(None),
            Order.stripe_checkout_session_id == session.id))
        .values(stripe_checkout_session_id=session.id)
    ).rowcount
    db.session.commit()
    if not stored:  # another attempt stored a different session first: that one is the order's
        _expire_quietly(api, session.id)
        return start_checkout(order_id, success_url, cancel_url)
    return session.url


def _unreachable():
    """What the shopper (in their language) and staff read when Stripe did not answer."""
    return PaymentError(gettext("We could not reach the payment provider. Please try again."))


def _just_placed(order):
    """Whether `order` can be used as it was committed a moment ago: it is loaded, no
    transaction has begun since (nothing was read, nothing is locked), and it is
    pending, has no session yet and is reserved long enough for one."""
    if order is None or db.session().in_transaction() or inspect(order).expired_attributes:
        return False
    return (order.status == "pending" and order.stripe_checkout_session_id is None
            and as_utc(order.reserved_until) >= utcnow() + MIN_SESSION_LIFETIME)


def _open_url(session):
    if session.status != "open":
        raise PaymentError(gettext("The payment page for this order has closed."))
    return session.url


def _expire_quietly(api, session_id):
    try:
        api.expire(session_id)
    except stripe.StripeError as error:
        log.warning("could not expire the spare checkout session %s: %s", session_id, error)


def _line_items(order):
    """Line items that add up to exactly what the order charges (its amount due).

    Itemised as long as that is exact: one line per order line at its unit price, or at
    its discounted unit price when the discount divides by the quantity, and shipping.
    A gift card's share, or a discount that does not divide, cannot be itemised exactly
    (Checkout has no negative lines), so then one line "Order W..." carries the amount."""
    currency = order.currency.lower()

    def item(name, unit_amount, quantity=1):
        return {"price_data": {"currency": currency, "unit_amount": unit_amount,
                               "product_data": {"name": name}}, "quantity": quantity}

    exact = not order.gift_card_amount and all(
        (line.discount or 0) % line.quantity == 0 for line in order.items)
    if not exact:
        return [item(f"Order {order.number}", order.amount_due)]
    line_items = [item(_item_name(line), line.unit_price - (line.discount or 0) // line.quantity,
                       line.quantity) for line in order.items]
    if order.shipping:
        line_items.append(item(order.shipping_name or order.shipping_method, order.shipping))
    return line_items


def _session_params(order, success_url, cancel_url, expires):
    line_items = _line_items(order)
    metadata = {**marker(), "order_number": order.number}
    return {
        "mode": "payment",
        "line_items": line_items,
        "allowed_payment_method_types": list(current_app.config["STRIPE_PAYMENT_METHOD_TYPES"]),
        "customer_email": order.email,
        "client_reference_id": order.number,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires.timestamp()),
    }


def _item_name(item):
    options = " / ".join(str(v) for v in (item.option_values or {}).values())
    return f"{item.product_name} ({options})" if options else item.product_name


def checkout_state(session_id):
    """What Stripe says about a Checkout Session now (see `_state`)."""
    try:
        return _state(client().v1.checkout.sessions.retrieve(session_id))
    except stripe.StripeError as error:
        raise _unreachable() from error


def close_checkout(session_id):
    """Stop a Checkout Session from taking a payment: expire it if it is open. Returns
    its state afterwards (a session paid meanwhile says so: if the shopper pays between
    the read and the expiry, Stripe refuses the expiry and the session is read again)."""
    api = client().v1.checkout.sessions
    try:
        session = api.retrieve(session_id)
        if session.status == "open":
            try:
                session = api.expire(session_id)
            except stripe.InvalidRequestError:
                session = api.retrieve(session_id)  # no longer open: paid (or expired) just now
    except stripe.StripeError as error:
        raise _unreachable() from error
    return _state(session)


def _state(session):
    """The parts of a Checkout Session the orders domain settles an order from."""
    return {"status": session.status, "payment_status": session.payment_status,
            "amount_total": session.amount_total, "currency": session.currency,
            "payment_intent": session.payment_intent}


def refund(order_number, payment_intent_id, amount, refund_id, reason=""):
    """Ask Stripe to refund `amount` (minor units) of the payment; returns the refund as
    Stripe answered: {"id", "status", "failure_reason"}.

    `refund_id` is the shop's refund row: it goes into the refund's metadata (so its
    events find the row) and into the idempotency key, so a retry of this attempt gets
    the same refund, and the next attempt (a new row) is a new request, not the stored
    answer to a failed one. Raises PaymentError if Stripe does not accept it.
    """
    metadata = {**marker(), "order_number": order_number, "refund_id": str(refund_id)}
    if reason:
        metadata["reason"] = reason[:500]
    try:
        created = client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount,
                    "metadata": metadata},
            options={"idempotency_key": f"refund-{order_number}-{refund_id}"},
        )
    except stripe.StripeError as error:
        log.warning("refund %s of %s failed: %s", refund_id, order_number, error)
        raise PaymentError(f"Stripe did not accept the refund: {error.user_message or error}") from error
    return {"id": created.id, "status": created.status,
            "failure_reason": getattr(created, "failure_reason", None) or ""}
