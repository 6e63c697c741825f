"""The built-in Stripe sandbox: Stripe's API, hosted payment page and signed webhooks,
served by this app under /_sandbox/stripe so the shop's stripe-library code runs offline.

Registered by create_app only when STRIPE_SANDBOX is on. Point the library at it with
`stripe.StripeClient(key, base_addresses={"api": BASE_URL + "/_sandbox/stripe"})`.
State lives in the stripe_sandbox_objects table, shared by every web process.

- routes.py: the blueprint (API endpoints and the payment page)
- checkout.py: Checkout Sessions (create, read, expire)
- charges.py: paying a session on the hosted page (PaymentIntent, Charge, test cards)
- refunds.py: refunds against a succeeded charge
- objects.py: stored objects as the API shows them (render, expand, retrieve)
- webhooks.py: events, Stripe-Signature, delivery with retries in background threads
- params.py, store.py, errors.py: wire format (and the parameters each call knows),
  storage and Stripe-shaped errors
"""
from webshop.payments.sandbox.routes import bp
from webshop.payments.sandbox.webhooks import deliver_event, sign_payload, wait_for_deliveries

__all__ = ["bp", "deliver_event", "sign_payload", "wait_for_deliveries"]
