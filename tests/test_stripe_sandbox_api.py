"""The built-in Stripe sandbox's API, driven the way the shop drives Stripe: the real
stripe library against the live server, refunds, and signed webhooks caught by a small
receiver of our own; and the wire format underneath."""
import json
import time
import urllib.error
import urllib.request

import pytest
import stripe

from tests.sandbox_helpers import (  # noqa: F401 (fixtures by name)
    CANCEL_URL, DECLINED_CARD, GOOD_CARD, SUCCESS_URL, pay, pay_url, receiver, sandbox,
    session_params, stripe_client, verified,
)
from webshop.models.payments import SandboxObject
from webshop.payments.sandbox import deliver_event, sign_payload, wait_for_deliveries
from webshop.payments.sandbox.params import parse_params


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
    assert receiver.wait_for(5)  # completed, then charge.refunded + refund.created twice
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
