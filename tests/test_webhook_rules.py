"""The webhook's rules against forgery and races: orders are found by the session id
the shop stored, strangers' events are acknowledged and ignored, replays and
simultaneous duplicates are harmless, disputes hold dispatch, delayed payments hold
their stock, and a second payment is flagged for a refund."""
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.helpers import stock_of
from tests.test_webhooks import (  # noqa: F401  (fixtures: order, webhook_secret)
    SECRET, event, order, post, session_obj, status_of, webhook_secret,
)
from webshop import orders
from webshop.models import AuditLog, StripeEvent


def test_a_session_the_shop_never_created_is_acknowledged_and_ignored(client, db, order):
    """A Payment Link or another app on the same Stripe account: 2xx, nothing changes,
    even if its metadata names one of our orders."""
    stranger = session_obj(order, id="cs_test_payment_link", metadata={})
    forged = session_obj(order, id="cs_test_forged", metadata={"order_number": order.number})

    answers = [post(client, event("checkout.session.completed", obj)) for obj in (stranger, forged)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.get_json()["outcome"] for a in answers] == ["ignored", "ignored"]
    assert status_of(db, order).status == "pending"


def test_a_paid_session_of_ours_that_the_order_never_stored_is_flagged_for_refund(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))
    stray = session_obj(order, id="cs_test_second", payment_intent="pi_second")

    answer = post(client, event("checkout.session.completed", stray))

    assert answer.status_code == 200
    fresh = status_of(db, order)
    assert fresh.status == "paid" and fresh.stripe_payment_intent_id == "pi_123"
    assert fresh.needs_attention and "pi_second" in fresh.attention_reason
    assert "refund" in fresh.attention_reason


def test_a_signature_from_the_future_is_refused(client, db, order):
    response = post(client, event("checkout.session.completed", session_obj(order)),
                    timestamp=int(time.time()) + 3600)
    assert response.status_code == 400
    assert status_of(db, order).status == "pending"


def test_two_identical_deliveries_at_the_same_moment_both_answer_2xx(app, http_server, db, order):
    """Stripe sometimes delivers an event twice at once: the second waits for the first's
    row in stripe_events and reports a duplicate instead of a 500."""
    import json

    import requests
    import stripe

    body = json.dumps(event("checkout.session.completed", session_obj(order), event_id="evt_twice"))
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    barrier, answers = threading.Barrier(4), []

    def deliver():
        barrier.wait()
        answers.append(requests.post(http_server + "/webhooks/stripe", data=body, timeout=30,
                                     headers={"Stripe-Signature": header,
                                              "Content-Type": "application/json"}))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200] * 4
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate"] * 3 + ["paid"]
    assert status_of(db, order).status == "paid"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    paid_entries = select(func.count()).select_from(AuditLog).where(AuditLog.action == "order.paid")
    assert db.session.scalar(paid_entries) == 1


def dispute(order, status="needs_response", dispute_id="dp_1"):
    return {"id": dispute_id, "object": "dispute", "amount": order.total,
            "currency": order.currency.lower(), "charge": "ch_1", "payment_intent": "pi_123",
            "reason": "fraudulent", "status": status}


def test_a_dispute_flags_the_order_and_holds_its_dispatch_until_staff_resolve_it(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))

    opened = post(client, event("charge.dispute.created", dispute(order)))

    assert opened.status_code == 200
    fresh = status_of(db, order)
    assert fresh.dispute_status == "needs_response" and fresh.dispute_reason == "fraudulent"
    assert fresh.needs_attention and "disputes" in fresh.attention_reason
    with pytest.raises(orders.ActionRefused, match="flagged"):
        orders.dispatch(order.id, "DHL", "JJD1")
    assert orders.staff_action_refusal(status_of(db, order), "dispatch")

    orders.resolve_attention(order.id, note="Evidence sent; shipping anyway.")
    orders.dispatch(order.id, "DHL", "JJD1")
    assert status_of(db, order).status == "dispatched"


@pytest.mark.parametrize("outcome, flagged", [("won", False), ("lost", True)])
def test_a_closed_dispute_records_its_outcome(client, db, order, outcome, flagged):
    post(client, event("checkout.session.completed", session_obj(order)))
    post(client, event("charge.dispute.created", dispute(order)))
    orders.resolve_attention(order.id)

    closed = post(client, event("charge.dispute.closed", dispute(order, status=outcome)))

    assert closed.status_code == 200
    fresh = status_of(db, order)
    assert fresh.dispute_status == outcome
    assert fresh.needs_attention is flagged
    notes = db.session.scalars(select(AuditLog.note).where(AuditLog.action == "order.dispute")).all()
    assert any(outcome in note for note in notes)


def test_a_dispute_on_a_payment_the_shop_does_not_know_is_ignored(client, db, order):
    answer = post(client, event("charge.dispute.created", dispute(order)))  # order not paid
    assert answer.get_json()["outcome"] == "ignored"
    assert not status_of(db, order).dispute_id


def test_a_delayed_payment_holds_the_stock_until_it_fails(client, db, order):
    processing = session_obj(order, payment_status="unpaid", payment_intent="pi_sepa")

    answer = post(client, event("checkout.session.completed", processing))

    assert answer.get_json()["outcome"] == "processing"
    fresh = status_of(db, order)
    assert fresh.status == "pending" and fresh.payment_processing_since is not None
    fresh.reserved_until = fresh.created_at  # the reservation ran out long ago
    db.session.commit()
    assert orders.expire_reservations() == 0  # still processing: no cancel, stock held
    assert status_of(db, order).status == "pending" and stock_of(order.mug.variants[0].id) == 3

    failed = post(client, event("checkout.session.async_payment_failed",
                                session_obj(order, payment_status="unpaid")))

    assert failed.get_json()["outcome"] == "cancelled"
    assert status_of(db, order).status == "cancelled" and stock_of(order.mug.variants[0].id) == 5


def test_a_delayed_payment_that_succeeds_marks_the_order_paid(client, db, order):
    post(client, event("checkout.session.completed",
                       session_obj(order, payment_status="unpaid", payment_intent="pi_sepa")))
    answer = post(client, event("checkout.session.async_payment_succeeded",
                                session_obj(order, payment_intent="pi_sepa")))
    assert answer.get_json()["outcome"] == "paid"
    assert status_of(db, order).stripe_payment_intent_id == "pi_sepa"
