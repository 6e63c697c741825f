"""The built-in Stripe sandbox: Stripe's API, hosted payment page and signed webhooks,
served by this app under /_sandbox/stripe so the shop's stripe-library code runs offline.

Registered by create_app only when STRIPE_SANDBOX is on (never beside a real key). The
shop reaches it in-process through `transport.InProcessClient`, a stripe-library HTTP
client, so no request thread waits on its own server; a sandbox served by another
process is reached over HTTP with `STRIPE_API_BASE`. State lives in the
stripe_sandbox_objects table, shared by every web process.

- routes.py: the blueprint (API endpoints and the payment page)
- checkout.py: Checkout Sessions (create, read, expire)
- charges.py: paying a session on the hosted page (PaymentIntent, Charge, test cards)
- refunds.py: refunds against a succeeded charge (and the test cards whose refunds fail)
- disputes.py, debits.py, delayed.py: disputes, SEPA debits, and what Stripe does a
  moment later (applied by a timer or by the next read, once)
- transport.py: the in-process HTTP client and hand-over to this app
- objects.py: stored objects as the API shows them (render, expand, retrieve)
- webhooks.py: events, Stripe-Signature, delivery with retries in background threads
- params.py, store.py, errors.py: wire format (and the parameters each call knows),
  storage and Stripe-shaped errors
"""
from webshop.payments.sandbox.routes import bp
from webshop.payments.sandbox.webhooks import deliver_event, sign_payload, wait_for_deliveries

__all__ = ["bp", "deliver_event", "sign_payload", "wait_for_deliveries"]
