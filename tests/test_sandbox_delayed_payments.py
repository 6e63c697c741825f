"""Delayed payment methods in the built-in Stripe sandbox: Stripe's SEPA Direct Debit test
IBANs typed on the hosted page complete the session unpaid, and the bank answers a moment
later (checkout.session.async_payment_succeeded or _failed). Sessions take a bank debit
only if they allow sepa_debit. Through the real stripe library and the hosted page."""
import threading

import pytest
import stripe

from tests.helpers import page, wait_until
from tests.sandbox_async_helpers import delivered, make_due_now, stored
from tests.sandbox_helpers import (  # noqa: F401 (fixtures by name)
    GOOD_CARD, SUCCESS_URL, pay, pay_url, receiver, sandbox, session_params, stripe_client,
)
from webshop.payments.sandbox import wait_for_deliveries

IBAN_PAYS = "DE89 3704 0044 0532 0130 00"
IBAN_FAILS = "DE62 3704 0044 0532 0130 01"
WITH_DEBIT = {"allowed_payment_method_types": ["card", "sepa_debit"]}


def debit_session(stripe_client, **overrides):
    return stripe_client.v1.checkout.sessions.create(params=session_params(**WITH_DEBIT,
                                                                           **overrides))


def test_a_bank_debit_is_processing_until_the_bank_answers(stripe_client, client, receiver, app,
                                                          db, settings):
    settings(STRIPE_SANDBOX_ASYNC_DELAY=600)  # the bank answers when we say so
    session = debit_session(stripe_client)
    assert session.payment_method_types == ["card", "sepa_debit"]
    assert "Card number or IBAN" in page(client.get(pay_url(session)))

    response = pay(client, session, IBAN_PAYS)

    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)
    [completed] = delivered(app, receiver, "checkout.session.completed")
    assert completed.data.object.status == "complete"
    assert completed.data.object.payment_status == "unpaid"
    processing = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]})
    intent = processing.payment_intent
    assert intent.status == "processing" and "sepa_debit" in intent.payment_method_types
    assert intent.latest_charge.status == "pending"
    assert intent.latest_charge.payment_method_details.type == "sepa_debit"
    assert intent.latest_charge.payment_method_details.sepa_debit.last4 == "3000"
    assert "Your payment is being processed" in page(client.get(pay_url(session)))
    with pytest.raises(stripe.InvalidRequestError):  # nothing to refund yet
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    make_due_now(db, session.id)

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    intent = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert intent.status == "succeeded" and intent.amount_received == 2995
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).status == "succeeded"
    [succeeded] = delivered(app, receiver, "checkout.session.async_payment_succeeded")
    assert succeeded.data.object.payment_status == "paid"
    assert succeeded.data.object.metadata.to_dict() == {"order_number": "W-1001"}
    assert "This payment is complete" in page(client.get(pay_url(session)))


def test_the_bank_answers_by_itself_a_moment_later(stripe_client, client, receiver, app):
    session = debit_session(stripe_client)

    assert pay(client, session, IBAN_PAYS).status_code == 303

    [succeeded] = delivered(app, receiver, "checkout.session.async_payment_succeeded")
    assert succeeded.data.object.id == session.id
    assert succeeded.data.object.payment_status == "paid"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert receiver.events("checkout.session.async_payment_failed") == []


def test_the_failing_test_iban_fails_a_moment_later(stripe_client, client, receiver, app):
    session = debit_session(stripe_client)

    assert pay(client, session, IBAN_FAILS).status_code == 303

    [failed] = delivered(app, receiver, "checkout.session.async_payment_failed")
    assert failed.data.object.id == session.id
    assert (failed.data.object.status, failed.data.object.payment_status) == ("complete",
                                                                              "unpaid")
    [intent_failed] = delivered(app, receiver, "payment_intent.payment_failed")
    intent = intent_failed.data.object
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "insufficient_funds"
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).status == "failed"
    assert "Your bank debit failed" in page(client.get(pay_url(session)))
    assert receiver.events("checkout.session.async_payment_succeeded") == []


def test_the_bank_answers_exactly_once_whoever_asks_first(stripe_client, client, receiver, app,
                                                          db):
    session = debit_session(stripe_client)
    assert pay(client, session, IBAN_PAYS).status_code == 303
    done = threading.Event()

    def reader():
        while not done.is_set():
            stripe_client.v1.checkout.sessions.retrieve(session.id)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        assert wait_until(lambda: not stored(db, session.id).get("_due"))
    finally:
        done.set()
        for thread in readers:
            thread.join(10)

    assert wait_for_deliveries(10)
    assert [e["type"] for e in receiver.events()
            if e["type"].startswith("checkout.")] in (
        ["checkout.session.completed", "checkout.session.async_payment_succeeded"],
        ["checkout.session.async_payment_succeeded", "checkout.session.completed"])


def test_a_card_only_session_refuses_an_iban(stripe_client, client, receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    assert session.payment_method_types == ["card"]
    assert "IBAN" not in page(client.get(pay_url(session)))

    response = pay(client, session, IBAN_PAYS)

    assert response.status_code == 422
    assert "takes cards only, not bank debits" in page(response)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert wait_for_deliveries(5) and receiver.deliveries == []


def test_mistyped_ibans_and_card_numbers_are_refused(stripe_client, client, receiver):
    session = debit_session(stripe_client)

    assert "Your IBAN is invalid." in page(pay(client, session, "DE89 3704 0044 0532 0130 01"))
    assert "Your card number is invalid." in page(pay(client, session, "4242 4242 4242 4241"))
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert pay(client, session, GOOD_CARD).status_code == 303  # cards still work here


def test_which_methods_a_session_takes_follows_stripe(stripe_client):
    sessions = stripe_client.v1.checkout.sessions
    only_debit = sessions.create(params=session_params(
        allowed_payment_method_types=["sepa_debit", "klarna"]))
    assert only_debit.payment_method_types == ["sepa_debit"]
    assert sessions.create(params=session_params(
        excluded_payment_method_types=["sepa_debit"])).payment_method_types == ["card"]
    with pytest.raises(stripe.InvalidRequestError) as no_method:
        usd = session_params(allowed_payment_method_types=["sepa_debit"])
        for item in usd["line_items"]:
            item["price_data"]["currency"] = "usd"
        sessions.create(params=usd)
    assert no_method.value.param == "allowed_payment_method_types"
    # payment_method_types left Checkout Sessions in API version 2026-09-30, as at Stripe.
    legacy = session_params(payment_method_types=["card", "sepa_debit"])
    with pytest.raises(stripe.InvalidRequestError) as removed:
        sessions.create(params=legacy)
    assert removed.value.code == "parameter_unknown"
    assert "allowed_payment_method_types" in removed.value.user_message
    older = sessions.create(params=legacy, options={"stripe_version": "2025-03-31.basil"})
    assert older.payment_method_types == ["card", "sepa_debit"]
