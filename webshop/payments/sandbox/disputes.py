"""Disputes as Stripe's test cards make them: a charge paid with one of DISPUTED_CARDS is
disputed a moment later (charge.dispute.created); the merchant answers with evidence
(POST /v1/disputes/<id>: charge.dispute.updated, status under_review) or accepts it
(POST /v1/disputes/<id>/close: lost). Evidence whose uncategorized_text is
"winning_evidence" or "losing_evidence" closes it a moment later as won or lost
(charge.dispute.closed), as in Stripe's test mode; any other evidence stays under review.

Runs in the caller's unit of work (one API call, or one delayed change, is one transaction).
"""
from webshop.payments.sandbox import delayed, store
from webshop.payments.sandbox.errors import StripeError, no_such
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.params import (
    DISPUTE_CLOSE_PARAMS, DISPUTE_EVIDENCE_PARAMS, DISPUTE_PARAMS, check_known, get_bool,
    get_map, get_metadata,
)
from webshop.payments.sandbox.webhooks import record_event

# Stripe's test cards whose charge succeeds and is then disputed: number -> (reason, inquiry).
DISPUTED_CARDS = {
    "4000000000000259": ("fraudulent", False),
    "4000000000002685": ("product_not_received", False),
    "4000000000001976": ("fraudulent", True),  # an inquiry: warning_needs_response
}
WINNING, LOSING = "winning_evidence", "losing_evidence"
NEEDS_RESPONSE = {"needs_response", "warning_needs_response"}
CLOSED = {"won", "lost", "warning_closed"}
RESPONSE_DAYS = 7  # Stripe's deadline for evidence varies by network; a week is typical
_NETWORK_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1"}
_EVIDENCE_FIELDS = sorted((DISPUTE_EVIDENCE_PARAMS or frozenset({
    "customer_communication", "customer_email_address", "customer_name", "product_description",
    "receipt", "shipping_documentation", "shipping_tracking_number", "uncategorized_file",
    "uncategorized_text",
})) - {"appeal", "enhanced_evidence"})


def dispute_later(charge, number):
    """If `number` is one of DISPUTED_CARDS, note on the (succeeded) charge that it is
    disputed a moment from now. The caller stores the charge."""
    if number in DISPUTED_CARDS:
        reason, inquiry = DISPUTED_CARDS[number]
        delayed.schedule(charge, "open_dispute", reason=reason, inquiry=inquiry)


@delayed.action("open_dispute")
def open_dispute(charge_id, reason, inquiry=False):
    """The cardholder's bank disputes the charge: a dispute needing a response (an inquiry
    keeps the money where it is; a chargeback withdraws it, charge.dispute.funds_withdrawn)."""
    charge = store.get(charge_id, "charge", lock=True)
    if charge is None or charge.get("disputed"):
        return None
    created = store.now()
    card = charge["payment_method_details"].get("card") or {}
    dispute = store.put({
        "id": store.new_id("dp_"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [] if inquiry else [
            _balance_transaction(-charge["amount"], charge["currency"],
                                 f"Chargeback withdrawal for {charge_id}")],
        "charge": charge_id,
        "created": created,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**{field: None for field in _EVIDENCE_FIELDS}, "enhanced_evidence": {}},
        "evidence_details": {"due_by": created + RESPONSE_DAYS * 86400, "enhanced_eligibility": {},
                             "has_evidence": False, "past_due": False, "submission_count": 0},
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "network_reason_code": _NETWORK_REASON_CODES.get(reason),
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {"type": "card", "card": {
            "brand": card.get("brand"), "case_type": "inquiry" if inquiry else "chargeback",
            "network_reason_code": _NETWORK_REASON_CODES.get(reason),
        }},
        "reason": reason,
        "status": "warning_needs_response" if inquiry else "needs_response",
    })
    charge.update(disputed=True, _dispute=dispute["id"])
    store.put(charge)
    record_event("charge.dispute.created", render(dispute))
    if not inquiry:
        record_event("charge.dispute.funds_withdrawn", render(dispute))
    return dispute


def update_dispute(dispute_id, params):
    """POST /v1/disputes/<id>: add evidence and metadata; with submit (the default) the
    evidence goes to the bank and the dispute is under review. Records
    charge.dispute.updated (with previous_attributes) when anything changed."""
    check_known(params, DISPUTE_PARAMS)
    evidence = get_map(params, "evidence")
    check_known(evidence, DISPUTE_EVIDENCE_PARAMS, ("evidence",))
    submit = get_bool(params, "submit", default=True)
    dispute = _locked(dispute_id)
    previous = {}
    if evidence:
        if dispute["status"] not in NEEDS_RESPONSE:
            raise StripeError(400, f"This dispute is {dispute['status']}: its evidence can no "
                              "longer be changed.", param="evidence")
        previous["evidence"] = dict(dispute["evidence"])
        dispute["evidence"].update({key: value or None for key, value in evidence.items()})
    metadata = _merged_metadata(dispute["metadata"], params)
    if metadata != dispute["metadata"]:
        previous["metadata"] = dispute["metadata"]
        dispute["metadata"] = metadata
    details = dispute["evidence_details"]
    if evidence or (submit and dispute["status"] in NEEDS_RESPONSE):
        previous["evidence_details"] = dict(details)
        details["has_evidence"] = any(dispute["evidence"].get(f) for f in _EVIDENCE_FIELDS)
    if submit and dispute["status"] in NEEDS_RESPONSE:
        previous["status"] = dispute["status"]
        dispute["status"] = "warning_under_review" if _inquiry(dispute) else "under_review"
        details["submission_count"] += 1
        outcome = {WINNING: "won", LOSING: "lost"}.get(
            (dispute["evidence"].get("uncategorized_text") or "").strip())
        if outcome:  # Stripe's magic evidence: the bank decides a moment later
            delayed.schedule(dispute, "decide_dispute", outcome=outcome)
    store.put(dispute)
    if previous:
        delayed.record_update("charge.dispute.updated", dispute, previous)
    return dispute


def close_dispute(dispute_id, params):
    """POST /v1/disputes/<id>/close: the merchant accepts the dispute (lost; an inquiry
    is simply closed). Records charge.dispute.closed."""
    check_known(params, DISPUTE_CLOSE_PARAMS)
    dispute = _locked(dispute_id)
    if dispute["status"] in CLOSED:
        raise StripeError(400, f"This dispute is already closed ({dispute['status']}).",
                          param="dispute")
    return _close(dispute, "accepted")


@delayed.action("decide_dispute")
def decide_dispute(dispute_id, outcome):
    dispute = store.get(dispute_id, "dispute", lock=True)
    if dispute is not None and dispute["status"] not in CLOSED:
        _close(dispute, outcome)


def _close(dispute, outcome):
    """won, lost or accepted (by the merchant: lost). A won chargeback gives the money back
    (charge.dispute.funds_reinstated); an inquiry won or accepted closes as warning_closed."""
    inquiry = _inquiry(dispute)
    if inquiry and outcome in ("won", "accepted"):
        dispute["status"] = "warning_closed"
    else:
        dispute["status"] = "won" if outcome == "won" else "lost"
    reinstated = outcome == "won" and not inquiry
    if reinstated:
        dispute["balance_transactions"].append(_balance_transaction(
            dispute["amount"], dispute["currency"],
            f"Chargeback reversal for {dispute['charge']}"))
    store.put(dispute)
    record_event("charge.dispute.closed", render(dispute))
    if reinstated:
        record_event("charge.dispute.funds_reinstated", render(dispute))
    return dispute


def refund_refused(charge):
    """Why the charge cannot be refunded because of a dispute (None if it can): a
    chargeback has already taken the money back."""
    if not charge.get("disputed"):
        return None
    dispute = store.get(charge.get("_dispute") or "", "dispute")
    if dispute is not None and dispute["is_charge_refundable"]:
        return None
    return f"Charge {charge['id']} has been charged back; cannot issue a refund."


def _locked(dispute_id):
    delayed.settle(dispute_id)  # a decision that is due happens first
    dispute = store.get(dispute_id, "dispute", lock=True)
    if dispute is None:
        raise no_such("dispute", dispute_id)
    return dispute


def _inquiry(dispute):
    return dispute["payment_method_details"]["card"]["case_type"] == "inquiry"


def _merged_metadata(current, params):
    """Stripe's metadata update: given keys are set, keys given as "" removed, and
    metadata="" removes them all."""
    raw = params.get("metadata")
    if raw is None:
        return current
    if raw == "":
        return {}
    merged = {**current, **get_metadata(params, "metadata")}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if value == "":
                merged.pop(key, None)
    return merged


def _balance_transaction(amount, currency, description):
    return {
        "id": store.new_id("txn_"), "object": "balance_transaction", "amount": amount,
        "created": store.now(), "currency": currency, "description": description, "fee": 0,
        "fee_details": [], "net": amount, "reporting_category": "dispute",
        "status": "available", "type": "adjustment",
    }
