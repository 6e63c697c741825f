"""The shop's calls to Stripe: Checkout Sessions and refunds, through the stripe library.

Without STRIPE_SECRET_KEY the same calls go to the built-in sandbox (see
webshop.payments.sandbox) by pointing the library's API base at it. This module is the
payment provider the orders lifecycle asks (`close_checkout`, `refund`); what a result
means for an order is decided there, not here.
"""
import logging
from datetime import timedelta

import stripe
from flask import current_app

from webshop import cart
from webshop.extensions import db
from webshop.models import utcnow
from webshop.models.base import as_utc
from webshop.orders import PaymentError

log = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes from now.
MIN_SESSION_LIFETIME = timedelta(minutes=31)
SANDBOX_KEY = "sk_test_sandbox"

__all__ = ["PaymentError", "client", "close_checkout", "refund", "start_checkout"]


def client():
    config = current_app.config
    api_base = config["STRIPE_API_BASE"]
    if config["STRIPE_SANDBOX"]:
        api_base = api_base or config["BASE_URL"].rstrip("/") + "/_sandbox/stripe"
        key = SANDBOX_KEY
    else:
        key = config["STRIPE_SECRET_KEY"]
    options = {"base_addresses": {"api": api_base}} if api_base else {}
    return stripe.StripeClient(key, max_network_retries=2, **options)


def start_checkout(order, success_url, cancel_url):
    """The URL of the order's Stripe Checkout page, creating the session if needed.

    The session id is stored on the order (commit) before the shopper is sent away, so
    a webhook that arrives first finds its order. The session expires with the stock
    reservation, which is stretched to Stripe's minimum lifetime if need be.
    """
    if order.status != "pending":
        raise PaymentError("This order is not waiting for payment.")
    api = client().v1.checkout.sessions
    try:
        if order.stripe_checkout_session_id:
            session = api.retrieve(order.stripe_checkout_session_id)
            if session.status == "open":
                return session.url
            raise PaymentError("The payment page for this order has closed.")
        expires = max(as_utc(order.reserved_until), utcnow() + MIN_SESSION_LIFETIME)
        session = api.create(
            params=_session_params(order, success_url, cancel_url, expires),
            # A retry with the same expiry replays; a later one makes a fresh session.
            options={"idempotency_key": f"checkout-{order.number}-{int(expires.timestamp())}"},
        )
    except stripe.StripeError as error:
        log.warning("checkout session for %s failed: %s", order.number, error)
        raise PaymentError("We could not reach the payment provider. Please try again.") from error
    order.stripe_checkout_session_id = session.id
    order.reserved_until = expires
    db.session.commit()
    return session.url


def _session_params(order, success_url, cancel_url, expires):
    currency = order.currency.lower()
    line_items = [
        {
            "price_data": {
                "currency": currency,
                "unit_amount": item.unit_price,
                "product_data": {"name": _item_name(item)},
            },
            "quantity": item.quantity,
        }
        for item in order.items
    ]
    if order.shipping:
        line_items.append({
            "price_data": {
                "currency": currency, "unit_amount": order.shipping,
                "product_data": {"name": cart.shipping_label(order.shipping_method)},
            },
            "quantity": 1,
        })
    metadata = {"order_number": order.number}
    return {
        "mode": "payment",
        "line_items": line_items,
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


def close_checkout(session_id):
    """Stop a Checkout Session from taking a payment. True if it was paid already."""
    api = client().v1.checkout.sessions
    try:
        session = api.retrieve(session_id)
        if session.status == "open":
            session = api.expire(session_id)
    except stripe.StripeError as error:
        raise PaymentError("We could not reach the payment provider. Please try again.") from error
    return session.status == "complete" and session.payment_status == "paid"


def refund(order_number, payment_intent_id):
    """Ask Stripe to refund the payment in full; returns the refund's id.

    One idempotency key per order, so a retried request returns the same refund.
    """
    try:
        created = client().v1.refunds.create(
            params={"payment_intent": payment_intent_id,
                    "metadata": {"order_number": order_number}},
            options={"idempotency_key": f"refund-{order_number}"},
        )
    except stripe.StripeError as error:
        log.warning("refund of %s failed: %s", order_number, error)
        raise PaymentError(f"Stripe did not accept the refund: {error.user_message or error}") from error
    return created.id
