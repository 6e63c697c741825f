"""The built-in Stripe sandbox's hosted payment page, over HTTP: the card form, paying,
declines, paying twice, and the pages for closed sessions."""
import re
import threading

import pytest
import stripe

from tests.helpers import csrf_token
from tests.sandbox_helpers import (  # noqa: F401 (fixtures by name)
    CANCEL_URL, DECLINED_CARD, GOOD_CARD, SUCCESS_URL, pay, pay_url, receiver, sandbox,
    session_params, stripe_client, verified,
)
from webshop.payments.sandbox import wait_for_deliveries


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
