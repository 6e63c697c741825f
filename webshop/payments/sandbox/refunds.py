"""Refunds as Stripe makes them: against a succeeded charge (named directly or through
its PaymentIntent), in parts until nothing is left, each recording charge.refunded and
refund.created. A charge paid with one of REFUND_CARDS has its refunds change a moment
later, as Stripe's test cards do: 4000 0000 0000 5126's fail (the money goes back on
the charge), 4000 0000 0000 7726's are pending until they succeed.

Runs in the caller's unit of work (one API call, or one delayed change, is one transaction).
"""
from webshop.money import format_money
from webshop.payments.sandbox import delayed, disputes, store
from webshop.payments.sandbox.errors import StripeError, no_such
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.params import (
    REFUND_PARAMS, check_known, get_int, get_metadata, get_str,
)
from webshop.payments.sandbox.webhooks import record_event

REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
# Stripe's test cards whose refunds change later: number -> what happens to them.
REFUND_CARDS = {"4000000000005126": "fails", "4000000000007726": "pending"}
FAILURE_REASON = "expired_or_canceled_card"


def create_refund(params):
    """POST /v1/refunds (payment_intent or charge; amount defaults to what is left):
    records charge.refunded with the updated charge and refund.created with the refund."""
    check_known(params, REFUND_PARAMS)
    charge = _refundable_charge(params)
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.",
                          code="charge_already_refunded")
    amount = get_int(params, "amount", minimum=1)
    if amount is None:
        amount = remaining
    if amount > remaining:
        currency = charge["currency"]
        raise StripeError(400, f"Refund amount ({format_money(amount, currency)}) is greater "
                          f"than unrefunded amount on charge ({format_money(remaining, currency)})",
                          code="amount_too_large", param="amount")
    reason = get_str(params, "reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise StripeError(400, f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}",
                          param="reason")
    later = charge.get("_refunds")
    refund = store.put({
        "id": store.new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "metadata": get_metadata(params, "metadata"),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "status": "pending" if later == "pending" else "succeeded",
        **({"pending_reason": "processing"} if later == "pending" else {}),
    })
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    if later:
        delayed.schedule(charge, "refund_" + later, refund_id=refund["id"])
    store.put(charge)
    record_event("charge.refunded", render(charge))
    record_event("refund.created", render(refund))
    return refund


@delayed.action("refund_fails")
def refund_fails(charge_id, refund_id):
    """The card can no longer take the money: the refund fails and the amount counts as
    unrefunded again (charge.refund.updated, refund.updated, refund.failed)."""
    charge = store.get(charge_id, "charge", lock=True)
    refund = store.get(refund_id, "refund", lock=True)
    if refund is None or refund["status"] == "failed":
        return
    previous = {"status": refund["status"], "failure_reason": None,
                "failure_balance_transaction": None}
    refund.update(status="failed", failure_reason=FAILURE_REASON,
                  failure_balance_transaction=store.new_id("txn_"))
    refund.pop("pending_reason", None)
    store.put(refund)
    charge["amount_refunded"] = max(0, charge["amount_refunded"] - refund["amount"])
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    store.put(charge)
    delayed.record_update("charge.refund.updated", refund, previous)
    delayed.record_update("refund.updated", refund, previous)
    record_event("refund.failed", render(refund))


@delayed.action("refund_pending")
def refund_succeeds(charge_id, refund_id):
    """A pending refund goes through (charge.refund.updated, refund.updated)."""
    refund = store.get(refund_id, "refund", lock=True)
    if refund is None or refund["status"] != "pending":
        return
    previous = {"status": "pending", "pending_reason": refund.pop("pending_reason", None)}
    refund["status"] = "succeeded"
    store.put(refund)
    delayed.record_update("charge.refund.updated", refund, previous)
    delayed.record_update("refund.updated", refund, previous)


def _refundable_charge(params):
    pi_id = get_str(params, "payment_intent")
    charge_id = get_str(params, "charge")
    if not pi_id and not charge_id:
        raise StripeError(400, "One of the following params should be provided for this "
                          "request: payment_intent or charge.", code="parameter_missing")
    if pi_id:
        payment_intent = store.get(pi_id, "payment_intent")
        if payment_intent is None:
            raise no_such("payment_intent", pi_id, param="payment_intent")
        if payment_intent["status"] != "succeeded":
            raise StripeError(400, f"This PaymentIntent ({pi_id}) does not have a successful "
                              "charge to refund.", code="payment_intent_unexpected_state",
                              param="payment_intent")
        if charge_id and charge_id != payment_intent["latest_charge"]:
            raise StripeError(400, f"The charge {charge_id} does not belong to {pi_id}.",
                              param="charge")
        charge_id = payment_intent["latest_charge"]
    delayed.settle(charge_id)  # a refund that failed meanwhile gives its amount back first
    charge = store.get(charge_id, "charge", lock=True)  # held until commit: no over-refund
    if charge is None:
        raise no_such("charge", charge_id, param="charge")
    if charge["status"] != "succeeded":
        raise StripeError(400, f"Charge {charge_id} did not succeed and cannot be refunded.",
                          code="charge_not_refundable", param="charge")
    refused = disputes.refund_refused(charge)
    if refused:
        raise StripeError(400, refused, code="charge_disputed", param="charge")
    return charge
