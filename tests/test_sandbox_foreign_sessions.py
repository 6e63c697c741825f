"""A Checkout Session created outside the shop (a Payment Link, another app on the same
Stripe account) in the built-in Stripe sandbox: nothing assumes the shop's metadata."""
from tests.sandbox_async_helpers import delivered
from tests.sandbox_helpers import (  # noqa: F401 (fixtures by name)
    GOOD_CARD, pay, receiver, sandbox, stripe_client,
)


def test_a_session_created_by_another_app_is_paid_and_refunded_like_any_other(
        stripe_client, client, receiver, app):
    session = stripe_client.v1.checkout.sessions.create(params={
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "eur", "unit_amount": 1500,
                                       "product_data": {"name": "Concert ticket"}},
                        "quantity": 1}],
        "success_url": "https://tickets.example/thanks",
        "metadata": {"app": "ticketing", "ticket": "T-77"},
    })

    response = pay(client, session, GOOD_CARD, email="bob@example.net")

    assert response.status_code == 303
    assert response.headers["Location"] == "https://tickets.example/thanks"
    [completed] = delivered(app, receiver, "checkout.session.completed")
    paid = completed.data.object
    assert paid.id == session.id and paid.payment_status == "paid"
    assert paid.metadata.to_dict() == {"app": "ticketing", "ticket": "T-77"}
    assert paid.client_reference_id is None and paid.customer_email is None
    assert paid.customer_details.email == "bob@example.net"
    intent = stripe_client.v1.payment_intents.retrieve(paid.payment_intent)
    # As at Stripe, the session's metadata is not copied to its PaymentIntent.
    assert intent.status == "succeeded" and intent.metadata.to_dict() == {}
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.amount == 1500 and refund.metadata.to_dict() == {}
    [created] = delivered(app, receiver, "refund.created")
    assert created.data.object.id == refund.id
    [refunded] = delivered(app, receiver, "charge.refunded")
    assert refunded.data.object.refunded is True and refunded.data.object.metadata.to_dict() == {}
