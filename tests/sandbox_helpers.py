"""What the Stripe sandbox tests share: a webhook receiver of our own, the live sandbox
with fast retries, a stripe client pointed at it, and the shop's usual session."""
import json
import threading
import time

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from tests.helpers import csrf_token
from webshop.payments.sandbox import wait_for_deliveries

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
SUCCESS_URL = "http://shop.test/orders/W-1001?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/checkout/cancelled/W-1001"


class WebhookReceiver:
    """A tiny HTTP endpoint in a thread: records each delivery and answers with the
    statuses queued in `statuses` (then 200), after `delay` seconds."""

    def __init__(self):
        self.deliveries = []  # (headers, body)
        self.statuses = []
        self.delay = 0.0
        self._changed = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/stripe"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        time.sleep(self.delay)
        with self._changed:
            self.deliveries.append((dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
            self._changed.notify_all()
        start_response(f"{status} Answer", [("Content-Type", "text/plain")])
        return [b"received"]

    def wait_for(self, count, timeout=5.0):
        with self._changed:
            self._changed.wait_for(lambda: len(self.deliveries) >= count, timeout)
        return len(self.deliveries) >= count

    def events(self, event_type=None):
        events = [json.loads(body) for _, body in self.deliveries]
        return [e for e in events if event_type is None or e["type"] == event_type]

    def stop(self):
        self._server.shutdown()


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


SANDBOX_SETTINGS = ("BASE_URL", "STRIPE_SANDBOX_WEBHOOK_URL", "STRIPE_SANDBOX_RETRY_DELAYS")


@pytest.fixture
def sandbox(app, live_server, receiver):
    """The app's external URL is the live server; webhooks go to `receiver`, retried fast."""
    saved = {key: app.config[key] for key in SANDBOX_SETTINGS if key in app.config}
    app.config.update(BASE_URL=live_server, STRIPE_SANDBOX_WEBHOOK_URL=receiver.url,
                      STRIPE_SANDBOX_RETRY_DELAYS=(0.05, 0.05, 0.1, 0.1, 0.1))
    yield live_server
    assert wait_for_deliveries(10)
    for key in SANDBOX_SETTINGS:
        app.config.pop(key, None)
    app.config.update(saved)


@pytest.fixture
def stripe_client(sandbox):
    return stripe.StripeClient("sk_test_sandbox",
                               base_addresses={"api": sandbox + "/_sandbox/stripe"})


def session_params(**overrides):
    metadata = {"order_number": "W-1001"}
    params = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "eur", "unit_amount": 1250,
                            "product_data": {"name": "Stoneware mug (Blue)"}}, "quantity": 2},
            {"price_data": {"currency": "eur", "unit_amount": 495,
                            "product_data": {"name": "Standard delivery"}}, "quantity": 1},
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "customer_email": "ada@example.com",
        "client_reference_id": "W-1001",
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return params


def pay_url(session):
    return "/_sandbox/stripe/pay/" + session.id


def pay(client, session, card, **fields):
    token = csrf_token(client, pay_url(session))
    return client.post(pay_url(session), data={"csrf_token": token, "card_number": card,
                                               "expiry": "12 / 34", "cvc": "123", **fields})


def verified(app, headers, body):
    """The delivery as the shop's endpoint will read it: signature checked by the library."""
    return stripe.Webhook.construct_event(body, headers["Stripe-Signature"],
                                          app.config["STRIPE_WEBHOOK_SECRET"])
