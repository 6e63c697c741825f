"""POST /webhooks/stripe: verify Stripe's signature, apply the event, answer fast.

Answers 400 for a bad signature or payload, 503 for an event that cannot be applied yet
(Stripe delivers it again later), 200 otherwise.
"""
import logging

import stripe
from flask import Blueprint, current_app, jsonify, request

from webshop.extensions import csrf, db
from webshop.payments.webhooks import RetryLater, handle_event

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("rejected a webhook: %s", error)
        return jsonify(error="invalid signature or payload"), 400
    try:
        outcome = handle_event(event)
    except RetryLater as reason:
        db.session.rollback()
        log.info("webhook %s (%s) deferred: %s", event.id, event.type, reason)
        return jsonify(error=str(reason)), 503
    return jsonify(received=True, outcome=outcome)
