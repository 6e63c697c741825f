"""The shop's calls to Stripe: Checkout Sessions and refunds, through the stripe library.

Without STRIPE_SECRET_KEY the same calls go to the built-in sandbox (see
webshop.payments.sandbox) by pointing the library's API base at it.
"""
import logging
from datetime import timedelta

import stripe
from flask import current_app

from webshop import orders
from webshop.extensions import db
from webshop.models import utcnow
from webshop.models.base import as_utc
from webshop.models.audit import record

log = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes from now.
MIN_SESSION_LIFETIME = timedelta(minutes=31)
SANDBOX_KEY = "sk_test_sandbox"


class PaymentError(Exception):
    """The payment provider could not do what was asked; str(error) is for people."""


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
        method = current_app.config["SHIPPING_METHODS"].get(order.shipping_method)
        line_items.append({
            "price_data": {
                "currency": currency, "unit_amount": order.shipping,
                "product_data": {"name": method[0] if method else "Shipping"},
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


def close_checkout(order):
    """Stop a pending order's session from taking a payment. True if it was paid already."""
    api = client().v1.checkout.sessions
    try:
        session = api.retrieve(order.stripe_checkout_session_id)
        if session.status == "open":
            session = api.expire(order.stripe_checkout_session_id)
    except stripe.StripeError as error:
        raise PaymentError("We could not reach the payment provider. Please try again.") from error
    return session.status == "complete" and session.payment_status == "paid"


def refund(order_id, restock=False, actor=None):
    """Ask Stripe to refund a paid or dispatched order in full. Commits once.

    The order becomes "refunded" when Stripe's charge.refunded webhook confirms it;
    the restock wish is kept on the order until then.
    """
    order = orders.locked(order_id)
    if not orders.can_transition(order, "refunded"):
        db.session.rollback()
        raise orders.InvalidTransition(order, "refunded")
    if not order.stripe_payment_intent_id:
        db.session.rollback()
        raise PaymentError("This order has no recorded payment to refund.")
    try:
        refund = client().v1.refunds.create(
            params={"payment_intent": order.stripe_payment_intent_id,
                    "metadata": {"order_number": order.number}},
            options={"idempotency_key": f"refund-{order.number}"},
        )
    except stripe.StripeError as error:
        db.session.rollback()
        log.warning("refund of %s failed: %s", order.number, error)
        raise PaymentError(f"Stripe did not accept the refund: {error.user_message or error}") from error
    order.stripe_refund_id = refund.id
    order.restock_on_refund = restock
    record(db.session, "order.refund_requested", "order", order.id, actor=actor,
           after={"refund": refund.id, "restock": restock})
    db.session.commit()
    return order
