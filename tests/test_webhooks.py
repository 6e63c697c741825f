"""POST /webhooks/stripe with signed events, as Stripe sends them: each outcome exactly."""
import json
import time
import uuid

import pytest
import stripe
from sqlalchemy import func, select

from tests.factories import make_product
from tests.helpers import stock_of
from webshop import cart as carts
from webshop import orders
from webshop.models import Order, Refund, StripeEvent

SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings(STRIPE_WEBHOOK_SECRET=SECRET)


def event(type_, obj, event_id=None):
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": type_,
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}


def post(client, payload, secret=SECRET, timestamp=None, signature=None):
    body = json.dumps(payload)
    header = signature or stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp)
    return client.post("/webhooks/stripe", data=body, content_type="application/json",
                       headers={"Stripe-Signature": header})


def session_obj(order, **overrides):
    return {"id": order.stripe_checkout_session_id, "object": "checkout.session",
            "payment_status": "paid", "status": "complete", "amount_total": order.total,
            "currency": order.currency.lower(), "payment_intent": "pi_123",
            "metadata": {"shop": "webshop", "order_number": order.number}, **overrides}


@pytest.fixture
def order(db):
    """A pending order for 2 mugs (stock 5 -> 3 reserved) with a checkout session."""
    mug = make_product("Mug", price=1250, stock=5)
    order = orders.place_order(
        carts.add_item(mug.variants[0].id, 2, token="t"), "ada@example.com",
        orders.ShippingAddress(name="Ada", line1="1 Main St", city="Berlin",
                               postal_code="10115", country="DE"),
        "standard", uuid.uuid4().hex)
    order.stripe_checkout_session_id = f"cs_test_{uuid.uuid4().hex}"
    db.session.commit()
    order.mug = mug
    return order


def status_of(db, order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_completed_session_marks_the_order_paid_and_keeps_the_stock_reserved(client, db, order):
    response = post(client, event("checkout.session.completed", session_obj(order)))

    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"
    fresh = status_of(db, order)
    assert fresh.status == "paid" and fresh.paid_at and fresh.stripe_payment_intent_id == "pi_123"
    assert stock_of(order.mug.variants[0].id) == 3


@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", None])
def test_a_bad_or_missing_signature_is_400_and_changes_nothing(client, db, order, signature):
    payload = event("checkout.session.completed", session_obj(order))
    if signature is None:
        response = post(client, payload, secret="whsec_someone_else")
    else:
        response = client.post("/webhooks/stripe", data=json.dumps(payload),
                               content_type="application/json",
                               headers={"Stripe-Signature": signature} if signature else {})
    assert response.status_code == 400
    assert status_of(db, order).status == "pending"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_a_stale_timestamp_is_refused(client, db, order):
    response = post(client, event("checkout.session.completed", session_obj(order)),
                    timestamp=int(time.time()) - 600)
    assert response.status_code == 400
    assert status_of(db, order).status == "pending"


def test_a_duplicate_delivery_is_a_harmless_no_op(client, db, order):
    payload = event("checkout.session.completed", session_obj(order), event_id="evt_once")
    assert post(client, payload).get_json()["outcome"] == "paid"
    orders.dispatch(order.id, "DHL", "JJD1")  # life goes on

    again = post(client, payload)

    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert status_of(db, order).status == "dispatched"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_a_second_event_with_a_different_id_is_idempotent_by_state(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))
    again = post(client, event("checkout.session.completed", session_obj(order, amount_total=1)))
    assert again.get_json()["outcome"] == "already paid"
    assert status_of(db, order).status == "paid" and not status_of(db, order).needs_attention


def test_amount_mismatch_flags_the_order_instead_of_marking_it_paid(client, db, order):
    response = post(client, event("checkout.session.completed", session_obj(order, amount_total=100)))

    assert response.status_code == 200 and response.get_json()["outcome"] == "amount mismatch"
    fresh = status_of(db, order)
    assert fresh.status == "pending" and fresh.needs_attention
    assert "100" in fresh.attention_reason


def test_currency_mismatch_is_flagged_too(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order, currency="usd")))
    assert status_of(db, order).status == "pending" and status_of(db, order).needs_attention


def test_an_event_of_ours_that_overtook_its_order_asks_stripe_to_retry(client, db, order):
    order.stripe_checkout_session_id = None  # the shop has not stored the session yet
    db.session.commit()
    early = session_obj(order, id="cs_test_early",
                        metadata={"shop": "webshop", "order_number": order.number})
    response = post(client, event("checkout.session.completed", early, event_id="evt_early"))
    assert response.status_code == 503
    # Not recorded: the retry is processed normally.
    assert db.session.get(StripeEvent, "evt_early") is None
    assert status_of(db, order).status == "pending"


def test_expired_session_cancels_and_releases_stock(client, db, order):
    response = post(client, event("checkout.session.expired",
                                  session_obj(order, status="expired", payment_status="unpaid")))
    assert response.get_json()["outcome"] == "cancelled"
    assert status_of(db, order).status == "cancelled"
    assert stock_of(order.mug.variants[0].id) == 5


def test_expired_before_completed_flags_the_late_payment(client, db, order):
    post(client, event("checkout.session.expired",
                       session_obj(order, status="expired", payment_status="unpaid")))
    response = post(client, event("checkout.session.completed", session_obj(order)))

    assert response.get_json()["outcome"] == "paid after cancellation"
    fresh = status_of(db, order)
    assert fresh.status == "cancelled" and fresh.needs_attention
    assert stock_of(order.mug.variants[0].id) == 5


def test_refunded_before_completed_is_retried_until_it_applies(client, db, order):
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_123", "refunded": True,
              "amount_refunded": order.total,
              "metadata": {"shop": "webshop", "order_number": order.number}}
    early = post(client, event("charge.refunded", charge, event_id="evt_refund"))
    assert early.status_code == 503 and status_of(db, order).status == "pending"

    post(client, event("checkout.session.completed", session_obj(order)))
    retried = post(client, event("charge.refunded", charge, event_id="evt_refund"))

    assert retried.get_json()["outcome"] == "refunded"
    assert status_of(db, order).status == "refunded"
    assert stock_of(order.mug.variants[0].id) == 3  # no restock was asked for
    [refund] = db.session.scalars(select(Refund)).all()  # made in the Dashboard
    assert (refund.source, refund.amount, refund.stripe_refund_id) == ("stripe", order.total, None)


def refund_obj(order, amount, status="succeeded", refund_id=None, stripe_id="re_1", **extra):
    metadata = {"shop": "webshop", "order_number": order.number, "refund_id": str(refund_id)} \
        if refund_id else {}
    return {"id": stripe_id, "object": "refund", "amount": amount, "currency": "eur",
            "payment_intent": "pi_123", "status": status, "metadata": metadata, **extra}


def test_the_shops_refund_reported_by_stripe_puts_its_lines_back(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))
    stored = status_of(db, order)
    [item] = stored.items
    stored.refunds.append(Refund(amount=2500, currency="EUR", status="requested", source="shop",
                                 lines={str(item.id): 2}, restock=True))
    db.session.commit()
    row = stored.refunds[0]

    first = post(client, event("refund.created", refund_obj(order, 2500, "pending", row.id)))
    again = post(client, event("refund.updated", refund_obj(order, 2500, "succeeded", row.id)))

    assert first.get_json()["outcome"] == "partly refunded"
    assert again.get_json()["outcome"] == "partly refunded"
    assert stock_of(order.mug.variants[0].id) == 5  # once, when it first counted
    fresh = status_of(db, order)
    assert (fresh.status, fresh.amount_refunded) == ("paid", 2500)
    assert (fresh.refunds[0].status, fresh.refunds[0].stripe_refund_id) == ("succeeded", "re_1")


def test_a_dashboard_refund_seen_twice_is_counted_once(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_123", "refunded": False,
              "amount_refunded": 800, "metadata": {}}
    post(client, event("charge.refunded", charge))
    post(client, event("refund.created", refund_obj(order, 800, stripe_id="re_dash")))
    post(client, event("charge.refunded", charge))  # redelivered with another id

    [refund] = status_of(db, order).refunds
    assert (refund.source, refund.amount, refund.stripe_refund_id) == ("stripe", 800, "re_dash")
    assert status_of(db, order).amount_refunded == 800


def test_a_refund_that_fails_flags_the_order_and_takes_back_refunded(client, db, order):
    post(client, event("checkout.session.completed", session_obj(order)))
    post(client, event("refund.created", refund_obj(order, order.total)))
    assert status_of(db, order).status == "refunded"

    failed = post(client, event("refund.updated", refund_obj(
        order, order.total, "failed", failure_reason="expired_or_canceled_card")))
    late = post(client, event("refund.created", refund_obj(order, order.total)))  # out of order

    assert failed.get_json()["outcome"] == "back to paid"
    assert late.get_json()["outcome"] == "unchanged"
    fresh = status_of(db, order)
    assert (fresh.status, fresh.amount_refunded, fresh.needs_attention) == ("paid", 0, True)
    assert "expired_or_canceled_card" in fresh.attention_reason
    assert fresh.paid_at is not None and fresh.refunded_at is None


def test_a_declined_card_leaves_the_order_pending(client, db, order):
    intent = {"id": "pi_9", "object": "payment_intent", "metadata": {"shop": "webshop", "order_number": order.number},
              "last_payment_error": {"message": "Your card was declined."}}
    response = post(client, event("payment_intent.payment_failed", intent))
    assert response.get_json()["outcome"] == "noted"
    assert status_of(db, order).status == "pending"


def test_events_for_other_systems_are_acknowledged_and_ignored(client, db):
    response = post(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
