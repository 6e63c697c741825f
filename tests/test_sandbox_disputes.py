"""Disputes in the built-in Stripe sandbox: Stripe's dispute test cards pay and are then
disputed; the merchant answers with Stripe's magic evidence or accepts the dispute through
the real stripe library, and every step arrives as a signed webhook."""
import pytest
import stripe

from tests.helpers import wait_until
from tests.sandbox_async_helpers import delivered, make_due_now, paid_intent, stored
from tests.sandbox_helpers import GOOD_CARD, receiver, sandbox, stripe_client  # noqa: F401

FRAUD_CARD = "4000 0000 0000 0259"
NOT_RECEIVED_CARD = "4000 0000 0000 2685"
INQUIRY_CARD = "4000 0000 0000 1976"


def opened_dispute(app, receiver, stripe_client, client, card=FRAUD_CARD):
    intent = paid_intent(stripe_client, client, card)
    [created] = delivered(app, receiver, "charge.dispute.created")
    return intent, created.data.object


def test_the_fraudulent_test_card_pays_and_is_then_disputed(stripe_client, client, receiver,
                                                             app):
    intent, dispute = opened_dispute(app, receiver, stripe_client, client)

    assert dispute.object == "dispute" and dispute.id.startswith("dp_")
    assert (dispute.amount, dispute.currency) == (2995, "eur")
    assert dispute.charge == intent.latest_charge and dispute.payment_intent == intent.id
    assert (dispute.reason, dispute.status) == ("fraudulent", "needs_response")
    assert dispute.is_charge_refundable is False and dispute.livemode is False
    assert dispute.metadata.to_dict() == {} and dispute.evidence.uncategorized_text is None
    assert dispute.evidence_details.submission_count == 0
    assert dispute.evidence_details.due_by > dispute.created
    [withdrawn] = delivered(app, receiver, "charge.dispute.funds_withdrawn")
    assert withdrawn.data.object.id == dispute.id
    assert withdrawn.data.object.balance_transactions[0].amount == -2995
    assert [e["type"] for e in receiver.events()][0] == "checkout.session.completed"

    assert stripe_client.v1.disputes.retrieve(dispute.id).status == "needs_response"
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refused.value.code == "charge_disputed"


def test_winning_evidence_wins_the_dispute_a_moment_later(stripe_client, client, receiver, app):
    _, opened = opened_dispute(app, receiver, stripe_client, client)

    dispute = stripe_client.v1.disputes.update(opened.id, params={
        "evidence": {"uncategorized_text": "winning_evidence",
                     "customer_email_address": "ada@example.com"},
        "metadata": {"order_number": "W-1001"},
    })

    assert dispute.status == "under_review"
    assert dispute.evidence.uncategorized_text == "winning_evidence"
    assert dispute.evidence_details.submission_count == 1
    assert dispute.evidence_details.has_evidence is True
    assert dispute.metadata.to_dict() == {"order_number": "W-1001"}
    [updated] = delivered(app, receiver, "charge.dispute.updated")
    assert updated.data.object.status == "under_review"
    assert updated.data.previous_attributes.status == "needs_response"
    [closed] = delivered(app, receiver, "charge.dispute.closed")
    assert closed.data.object.id == opened.id and closed.data.object.status == "won"
    [reinstated] = delivered(app, receiver, "charge.dispute.funds_reinstated")
    assert [t.amount for t in reinstated.data.object.balance_transactions] == [-2995, 2995]
    assert stripe_client.v1.disputes.retrieve(opened.id).status == "won"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.update(
            opened.id, params={"evidence": {"uncategorized_text": "more"}})


def test_losing_evidence_loses_it(stripe_client, client, receiver, app):
    _, opened = opened_dispute(app, receiver, stripe_client, client, NOT_RECEIVED_CARD)
    assert opened.reason == "product_not_received"

    stripe_client.v1.disputes.update(
        opened.id, params={"evidence": {"uncategorized_text": "losing_evidence"}})

    [closed] = delivered(app, receiver, "charge.dispute.closed")
    assert closed.data.object.status == "lost"
    assert receiver.events("charge.dispute.funds_reinstated") == []


def test_evidence_kept_back_is_not_submitted(stripe_client, client, receiver, app):
    _, opened = opened_dispute(app, receiver, stripe_client, client)

    dispute = stripe_client.v1.disputes.update(opened.id, params={
        "evidence": {"uncategorized_text": "winning_evidence"}, "submit": False})

    assert dispute.status == "needs_response" and dispute.evidence_details.submission_count == 0
    [updated] = delivered(app, receiver, "charge.dispute.updated")
    assert updated.data.object.evidence.uncategorized_text == "winning_evidence"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.disputes.update(opened.id, params={"evidence": {"colour": "blue"}})
    assert unknown.value.param == "evidence[colour]"


def test_accepting_a_dispute_closes_it_as_lost(stripe_client, client, receiver, app):
    _, opened = opened_dispute(app, receiver, stripe_client, client)

    dispute = stripe_client.v1.disputes.close(opened.id)

    assert dispute.status == "lost"
    [closed] = delivered(app, receiver, "charge.dispute.closed")
    assert closed.data.object.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.close(opened.id)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.disputes.retrieve("dp_unknown")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_an_inquiry_leaves_the_charge_refundable(stripe_client, client, receiver, app):
    intent, opened = opened_dispute(app, receiver, stripe_client, client, INQUIRY_CARD)

    assert opened.status == "warning_needs_response" and opened.is_charge_refundable is True
    assert receiver.events("charge.dispute.funds_withdrawn") == []
    assert stripe_client.v1.disputes.close(opened.id).status == "warning_closed"
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "succeeded"


def test_a_dispute_that_is_due_opens_when_the_charge_is_looked_at(stripe_client, client,
                                                                   receiver, app, db, settings):
    settings(STRIPE_SANDBOX_ASYNC_DELAY=600)  # no timer fires during this test
    intent = paid_intent(stripe_client, client, FRAUD_CARD)
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).disputed is False

    make_due_now(db, intent.latest_charge)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)

    assert charge.disputed is True
    [created] = delivered(app, receiver, "charge.dispute.created")
    assert created.data.object.charge == charge.id
    assert wait_until(lambda: not stored(db, charge.id).get("_due"))
    stripe_client.v1.payment_intents.retrieve(intent.id)
    assert len(receiver.events("charge.dispute.created")) == 1


def test_a_good_card_is_never_disputed(stripe_client, client, receiver, app, db):
    intent = paid_intent(stripe_client, client, GOOD_CARD)

    assert stored(db, intent.latest_charge).get("_due") is None
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).disputed is False
