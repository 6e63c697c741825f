"""Refunds that change after they are made, in the built-in Stripe sandbox: Stripe's test
card 4000 0000 0000 5126 takes a refund that fails a moment later (the money goes back on
the charge), 4000 0000 0000 7726 one that is pending until it succeeds; every refund
records refund.created with its metadata. Driven through the real stripe library."""
import threading

import stripe

from tests.helpers import wait_until
from tests.sandbox_async_helpers import delivered, make_due_now, paid_intent, stored
from tests.sandbox_helpers import GOOD_CARD, receiver, sandbox, stripe_client  # noqa: F401
from webshop.payments.sandbox import wait_for_deliveries

REFUND_FAILS_CARD = "4000 0000 0000 5126"
REFUND_PENDING_CARD = "4000 0000 0000 7726"


def test_a_refund_records_refund_created_with_its_metadata(stripe_client, client, receiver, app,
                                                            db):
    intent = paid_intent(stripe_client, client, GOOD_CARD)

    refund = stripe_client.v1.refunds.create(params={
        "payment_intent": intent.id, "amount": 1000, "metadata": {"refund_id": "17"}})

    [created] = delivered(app, receiver, "refund.created")
    assert created.data.object.id == refund.id and created.data.object.status == "succeeded"
    assert created.data.object.metadata.to_dict() == {"refund_id": "17"}
    assert created.data.object.amount == 1000 and created.data.object.charge == intent.latest_charge
    [refunded] = delivered(app, receiver, "charge.refunded")
    assert refunded.data.object.amount_refunded == 1000
    assert stored(db, intent.latest_charge).get("_due") is None  # nothing changes later


def test_a_refund_on_the_refund_fail_card_fails_a_moment_later(stripe_client, client, receiver,
                                                               app):
    intent = paid_intent(stripe_client, client, REFUND_FAILS_CARD)

    refund = stripe_client.v1.refunds.create(params={
        "payment_intent": intent.id, "amount": 1000, "metadata": {"refund_id": "17"}})

    assert refund.status == "succeeded"
    [failed] = delivered(app, receiver, "refund.failed")
    assert failed.data.object.id == refund.id and failed.data.object.status == "failed"
    assert failed.data.object.failure_reason == "expired_or_canceled_card"
    assert failed.data.object.metadata.to_dict() == {"refund_id": "17"}
    for event_type in ("charge.refund.updated", "refund.updated"):
        [updated] = delivered(app, receiver, event_type)
        assert updated.data.object.status == "failed"
        assert updated.data.previous_attributes.status == "succeeded"
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    # The money is on the charge again, so all of it can be refunded (and fail again).
    again = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert again.amount == 2995
    delivered(app, receiver, "refund.failed", count=2)


def test_a_failure_that_is_due_is_applied_when_the_refund_is_next_read(
        stripe_client, client, receiver, app, db, settings):
    settings(STRIPE_SANDBOX_ASYNC_DELAY=600)  # no timer fires during this test
    intent = paid_intent(stripe_client, client, REFUND_FAILS_CARD)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).refunded is True

    make_due_now(db, intent.latest_charge)

    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
    delivered(app, receiver, "refund.failed")


def test_a_failure_is_applied_exactly_once_whoever_comes_first(stripe_client, client, receiver,
                                                               app, db):
    intent = paid_intent(stripe_client, client, REFUND_FAILS_CARD)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    statuses, done = [], threading.Event()

    def reader():
        while not done.is_set():
            try:
                statuses.append(stripe_client.v1.refunds.retrieve(refund.id).status)
            except stripe.StripeError as error:  # pragma: no cover (reported below)
                statuses.append(repr(error))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        assert wait_until(lambda: not stored(db, intent.latest_charge).get("_due"))
    finally:
        done.set()
        for thread in readers:
            thread.join(10)

    assert set(statuses) <= {"succeeded", "failed"}, statuses
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"
    assert wait_for_deliveries(10)
    for event_type in ("refund.failed", "refund.updated", "charge.refund.updated"):
        assert len(receiver.events(event_type)) == 1, event_type
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0


def test_a_pending_refund_succeeds_a_moment_later(stripe_client, client, receiver, app):
    intent = paid_intent(stripe_client, client, REFUND_PENDING_CARD)

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})

    assert refund.status == "pending"
    [updated] = delivered(app, receiver, "refund.updated")
    assert updated.data.object.status == "succeeded"
    assert updated.data.previous_attributes.status == "pending"
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).refunded is True
    assert receiver.events("refund.failed") == []
