"""The built-in Stripe sandbox, driven the way the shop drives Stripe: the real stripe
library against the live server, the hosted page over HTTP, and signed webhooks caught
by a small receiver of our own."""
import json
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from tests.helpers import csrf_token
from webshop.models.payments import SandboxObject
from webshop.payments.sandbox import deliver_event, sign_payload, wait_for_deliveries
from webshop.payments.sandbox.params import parse_params

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


# The API through the stripe library ----------------------------------------------------

def test_creating_a_session_answers_like_stripe(stripe_client, sandbox):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    assert session.object == "checkout.session" and session.id.startswith("cs_test_")
    assert session.amount_subtotal == 2995 and session.amount_total == 2995
    assert session.currency == "eur" and session.livemode is False
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.payment_intent is None
    assert session.url == f"{sandbox}/_sandbox/stripe/pay/{session.id}"
    assert session.metadata.to_dict() == {"order_number": "W-1001"}
    assert session.customer_email == "ada@example.com"
    assert session.client_reference_id == "W-1001"
    assert session.success_url == SUCCESS_URL and session.cancel_url == CANCEL_URL
    assert isinstance(session.created, int) and session.expires_at > session.created


def test_a_session_can_be_retrieved_with_its_line_items(stripe_client):
    created = stripe_client.v1.checkout.sessions.create(params=session_params())

    session = stripe_client.v1.checkout.sessions.retrieve(created.id)
    assert session.id == created.id and session.amount_total == 2995
    assert "line_items" not in session
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        created.id, params={"expand": ["line_items"]})
    items = expanded.line_items.data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("Stoneware mug (Blue)", 2, 2500), ("Standard delivery", 1, 495)]
    listed = stripe_client.v1.checkout.sessions.line_items.list(created.id)
    assert [item.price.unit_amount for item in listed.data] == [1250, 495]


def test_the_same_idempotency_key_returns_the_same_session(stripe_client, app):
    options = {"idempotency_key": "checkout-W-1001"}
    params = session_params()
    first = stripe_client.v1.checkout.sessions.create(params=params, options=options)
    again = stripe_client.v1.checkout.sessions.create(params=params, options=options)
    other = stripe_client.v1.checkout.sessions.create(params=params)

    assert again.id == first.id and other.id != first.id
    with app.app_context():
        assert SandboxObject.query.filter_by(object="checkout.session").count() == 2
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.checkout.sessions.create(params=session_params(client_reference_id="X"),
                                                  options=options)


def test_expiring_an_open_session_delivers_checkout_session_expired(stripe_client, receiver, app):
    created = stripe_client.v1.checkout.sessions.create(params=session_params())

    session = stripe_client.v1.checkout.sessions.expire(created.id)

    assert session.status == "expired" and session.url is None
    assert receiver.wait_for(1)
    headers, body = receiver.deliveries[0]
    event = verified(app, headers, body)
    assert event.type == "checkout.session.expired" and event.id.startswith("evt_")
    assert event.data.object.id == created.id and event.data.object.status == "expired"
    assert event.livemode is False and event.pending_webhooks == 1 and event.api_version
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        stripe_client.v1.checkout.sessions.expire(created.id)
    assert excinfo.value.http_status == 400


def test_a_session_past_its_expires_at_is_expired_when_next_seen(stripe_client, client, receiver,
                                                                   db):
    created = stripe_client.v1.checkout.sessions.create(params=session_params())
    row = db.session.get(SandboxObject, created.id)
    row.data = {**row.data, "expires_at": int(time.time()) - 1}
    db.session.commit()

    response = client.get(pay_url(created))

    assert response.status_code == 410
    assert "This checkout has expired" in response.get_data(as_text=True)
    assert stripe_client.v1.checkout.sessions.retrieve(created.id).status == "expired"
    assert receiver.wait_for(1)
    assert [e["type"] for e in receiver.events()] == ["checkout.session.expired"]


def test_errors_come_back_as_the_stripe_library_expects(stripe_client):
    sessions = stripe_client.v1.checkout.sessions
    with pytest.raises(stripe.InvalidRequestError) as missing_session:
        sessions.retrieve("cs_test_nope")
    assert missing_session.value.http_status == 404
    assert missing_session.value.code == "resource_missing"

    params = session_params()
    del params["mode"]
    with pytest.raises(stripe.InvalidRequestError) as no_mode:
        sessions.create(params=params)
    assert no_mode.value.param == "mode" and no_mode.value.code == "parameter_missing"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        sessions.create(params=session_params(colour="blue"))
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "colour"

    bad_amount = session_params()
    bad_amount["line_items"][0]["quantity"] = 0
    with pytest.raises(stripe.InvalidRequestError) as zero:
        sessions.create(params=bad_amount)
    assert zero.value.param == "line_items[0][quantity]"

    with pytest.raises(stripe.InvalidRequestError) as too_soon:
        sessions.create(params=session_params(expires_at=int(time.time()) + 60))
    assert too_soon.value.param == "expires_at"

    with pytest.raises(stripe.InvalidRequestError) as relative:
        sessions.create(params=session_params(success_url="/orders/W-1001"))
    assert relative.value.param == "success_url"


def test_api_calls_need_an_api_key_and_answer_in_stripe_json(sandbox):
    def call(path, headers=None):
        request = urllib.request.Request(sandbox + path, data=b"mode=payment", method="POST",
                                         headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, body = call("/_sandbox/stripe/v1/checkout/sessions")
    assert status == 401 and body["error"]["type"] == "invalid_request_error"
    assert "API key" in body["error"]["message"]

    status, body = call("/_sandbox/stripe/v1/customers",
                        headers={"Authorization": "Bearer sk_test_anything"})
    assert status == 404 and "Unrecognized request URL" in body["error"]["message"]


# The hosted payment page -----------------------------------------------------------------

def test_the_payment_page_shows_the_order_and_a_card_form(stripe_client, client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = client.get(pay_url(session))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stoneware mug (Blue)" in html and "Standard delivery" in html
    assert re.search(r'<input[^>]*name="card_number"', html)
    assert re.search(r'<input[^>]*name="expiry"', html) and re.search(r'<input[^>]*name="cvc"', html)
    button = re.search(r"<button[^>]*>\s*([^<]*?)\s*</button>", html).group(1)
    assert button == "Pay €29.95"
    assert f'href="{CANCEL_URL}"' in html
    assert "Test mode — Stripe sandbox" in html and "4242 4242 4242 4242" in html
    assert 'name="csrf_token"' in html
    # Nothing inline (the CSP forbids it), and its own stylesheet is served.
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert stylesheet.startswith("/_sandbox/stripe/static/")
    css = client.get(stylesheet)
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_paying_with_the_good_test_card_completes_the_session(stripe_client, client, receiver,
                                                              app):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = pay(client, session, GOOD_CARD)

    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)
    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]})
    assert paid.status == "complete" and paid.payment_status == "paid" and paid.url is None
    intent = paid.payment_intent
    assert intent.id.startswith("pi_") and intent.status == "succeeded"
    assert intent.amount == 2995 and intent.currency == "eur"
    assert intent.metadata.to_dict() == {"order_number": "W-1001"}
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert charge.id.startswith("ch_") and charge.paid and charge.payment_intent == intent.id

    assert receiver.wait_for(1)
    headers, body = receiver.deliveries[0]
    event = verified(app, headers, body)
    assert event.type == "checkout.session.completed"
    completed = event.data.object
    assert completed.id == session.id and completed.payment_status == "paid"
    assert completed.payment_intent == intent.id and completed.amount_total == 2995
    assert completed.metadata.to_dict() == {"order_number": "W-1001"}


def test_a_session_cannot_be_paid_twice(stripe_client, client, receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    token = csrf_token(client, pay_url(session))
    assert pay(client, session, GOOD_CARD).status_code == 303

    again = client.post(pay_url(session), data={"csrf_token": token, "card_number": GOOD_CARD})

    assert again.status_code == 409
    assert "already been paid" in again.get_data(as_text=True)
    page = client.get(pay_url(session)).get_data(as_text=True)
    assert "This payment is complete" in page and 'name="card_number"' not in page
    assert wait_for_deliveries(5)
    assert [e["type"] for e in receiver.events()] == ["checkout.session.completed"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire(session.id)


def test_two_payments_at_once_charge_only_once(stripe_client, app, receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_token(c, pay_url(session)) for c in clients]
    start, statuses = threading.Barrier(2), []

    def shopper(c, token):
        start.wait()
        statuses.append(c.post(pay_url(session), data={"csrf_token": token,
                                                       "card_number": GOOD_CARD}).status_code)

    threads = [threading.Thread(target=shopper, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(statuses) == [303, 409]
    assert wait_for_deliveries(5)
    assert [e["type"] for e in receiver.events()] == ["checkout.session.completed"]


def test_the_declined_test_card_is_declined_and_the_session_stays_open(stripe_client, client,
                                                                       receiver, app):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = pay(client, session, DECLINED_CARD)

    assert response.status_code == 402
    html = response.get_data(as_text=True)
    assert "Your card was declined." in html and 'name="card_number"' in html
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert receiver.wait_for(1)
    event = verified(app, *receiver.deliveries[0])
    assert event.type == "payment_intent.payment_failed"
    intent = event.data.object
    assert intent.last_payment_error.message == "Your card was declined."
    assert intent.metadata.to_dict() == {"order_number": "W-1001"}

    # Trying again with a good card pays through the same payment intent.
    assert pay(client, session, GOOD_CARD).status_code == 303
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent == intent.id


def test_a_mistyped_card_number_is_refused_before_anything_happens(stripe_client, client, receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = pay(client, session, "4242 4242 4242 4241")

    assert response.status_code == 422
    assert "Your card number is invalid." in response.get_data(as_text=True)
    assert pay(client, session, GOOD_CARD, expiry="13/99").status_code == 422
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert wait_for_deliveries(5) and receiver.deliveries == []


def test_the_payment_form_needs_its_csrf_token(stripe_client, client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = client.post(pay_url(session), data={"card_number": GOOD_CARD})

    assert response.status_code == 400
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_an_expired_session_shows_a_clear_page(stripe_client, client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    stripe_client.v1.checkout.sessions.expire(session.id)

    page = client.get(pay_url(session))
    assert page.status_code == 410 and 'name="card_number"' not in page.get_data(as_text=True)
    assert client.get("/_sandbox/stripe/pay/cs_test_unknown").status_code == 404


# Refunds -------------------------------------------------------------------------------------

def test_refunds_in_parts_until_the_charge_is_fully_refunded(stripe_client, client, receiver, app):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    pay(client, session, GOOD_CARD)
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent

    part = stripe_client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})
    rest = stripe_client.v1.refunds.create(params={"payment_intent": intent_id})

    assert part.object == "refund" and part.id.startswith("re_")
    assert (part.amount, part.currency, part.status) == (1000, "eur", "succeeded")
    assert part.payment_intent == intent_id and rest.amount == 1995
    assert receiver.wait_for(3)
    refunded = [verified(app, headers, body) for headers, body in receiver.deliveries
                if json.loads(body)["type"] == "charge.refunded"]
    charges = sorted((e.data.object for e in refunded), key=lambda c: c.amount_refunded)
    assert [(c.amount_refunded, c.refunded) for c in charges] == [(1000, False), (2995, True)]
    assert all(c.payment_intent == intent_id and c.amount == 2995 and c.currency == "eur"
               for c in charges)
    assert charges[-1].metadata.to_dict() == {"order_number": "W-1001"}
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"payment_intent": intent_id})
    assert again.value.code == "charge_already_refunded"


def test_refunds_that_cannot_be_made_are_refused(stripe_client, client):
    refunds = stripe_client.v1.refunds
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        refunds.create(params={"payment_intent": "pi_unknown"})
    assert unknown.value.http_status == 404 and unknown.value.code == "resource_missing"

    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    pay(client, session, DECLINED_CARD)
    declined = "pi_" + session.id.removeprefix("cs_test_")[:24]
    assert stripe_client.v1.payment_intents.retrieve(declined).status == "requires_payment_method"
    with pytest.raises(stripe.InvalidRequestError) as unpaid:
        refunds.create(params={"payment_intent": declined})
    assert unpaid.value.http_status == 400

    pay(client, session, GOOD_CARD)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        refunds.create(params={"payment_intent": declined, "amount": 5000})
    assert too_much.value.code == "amount_too_large"


# Webhook delivery --------------------------------------------------------------------------

def test_a_failed_delivery_is_retried_and_signed_afresh(sandbox, receiver, app):
    receiver.statuses = [500]
    with app.app_context():
        event = deliver_event("checkout.session.completed", {"id": "cs_test_x", "object": "checkout.session"})

    assert receiver.wait_for(2)
    assert wait_for_deliveries(5)
    assert len(receiver.deliveries) == 2
    for headers, body in receiver.deliveries:
        assert verified(app, headers, body).id == event["id"]
        assert headers["Content-Type"].startswith("application/json")
    with app.app_context():
        assert SandboxObject.query.filter_by(object="event").count() == 1


def test_delivery_gives_up_after_the_configured_attempts(sandbox, receiver, app):
    receiver.statuses = [503] * 20
    with app.app_context():
        deliver_event("charge.refunded", {"id": "ch_x", "object": "charge"})

    assert wait_for_deliveries(5)
    assert len(receiver.deliveries) == 1 + len(app.config["STRIPE_SANDBOX_RETRY_DELAYS"])


def test_delivery_never_holds_up_the_request_that_caused_it(stripe_client, receiver):
    receiver.delay = 1.5
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    started = time.monotonic()
    stripe_client.v1.checkout.sessions.expire(session.id)

    assert time.monotonic() - started < 1.0
    assert receiver.wait_for(1, timeout=5)


def test_signatures_are_the_ones_stripe_makes(app):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping"}).encode()
    secret = app.config["STRIPE_WEBHOOK_SECRET"]

    header = sign_payload(payload, secret, timestamp=1700000000)

    assert header == stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=1700000000)
    assert stripe.Webhook.construct_event(payload, sign_payload(payload, secret), secret).id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload + b" ", sign_payload(payload, secret), secret)


# The wire format -----------------------------------------------------------------------------

def test_bracket_parameters_become_nested_structure():
    params = parse_params([
        ("line_items[0][price_data][unit_amount]", "1250"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[0]", "kept as a key"),
        ("expand[]", "payment_intent"),
        ("expand[]", "line_items"),
        ("mode", "payment"),
    ])
    assert params == {
        "line_items": [{"price_data": {"unit_amount": "1250"}, "quantity": "2"},
                       {"quantity": "1"}],
        "metadata": {"0": "kept as a key"},
        "expand": ["payment_intent", "line_items"],
        "mode": "payment",
    }
