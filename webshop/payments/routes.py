"""POST /webhooks/stripe: verify Stripe's signature, apply the event, answer fast.

Answers 400 for a bad signature or payload (also one signed too long ago or too far in
the future: a replay), 503 for an event that cannot be applied yet (Stripe delivers it
again later), 200 otherwise.
"""
import logging
import time

import stripe
from flask import Blueprint, current_app, jsonify, request

from webshop.extensions import csrf, db
from webshop.payments.webhooks import RetryLater, handle_event

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


# Seconds a signature stays valid, either way: the stripe library refuses older ones,
# `_refuse_future` newer ones (a clock that far ahead is a forgery or a replay trick).
TOLERANCE = 300


def _refuse_future(header):
    stamps = [part.partition("=")[2] for part in header.split(",") if part.startswith("t=")]
    if any(not stamp.isdigit() or int(stamp) > time.time() + TOLERANCE for stamp in stamps):
        raise ValueError("Stripe-Signature timestamp is in the future")


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    header = request.headers.get("Stripe-Signature", "")
    try:
        _refuse_future(header)
        event = stripe.Webhook.construct_event(
            request.get_data(), header, current_app.config["STRIPE_WEBHOOK_SECRET"],
            tolerance=TOLERANCE,
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
