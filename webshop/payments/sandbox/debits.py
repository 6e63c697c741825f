"""Bank debits (SEPA Direct Debit), a delayed payment method: which sessions accept them,
an IBAN typed on the payment page, and the debit settling a moment later.

Paying by debit completes the session at once with payment_status "unpaid" (its
PaymentIntent is "processing"); after STRIPE_SANDBOX_ASYNC_DELAY the bank answers:
checkout.session.async_payment_succeeded, or payment_intent.payment_failed and
checkout.session.async_payment_failed, as Stripe's test IBANs do.

Runs in the caller's unit of work.
"""
import hashlib
import re

from flask import current_app

from webshop.payments.sandbox import delayed, store
from webshop.payments.sandbox.errors import CardInputError, StripeError
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.params import api_version, get_list
from webshop.payments.sandbox.webhooks import record_event

# Stripe's SEPA test IBANs: IBAN -> (succeeds, how many delays the bank takes). Any other
# valid IBAN succeeds.
TEST_IBANS = {
    "DE89370400440532013000": (True, 1),
    "DE08370400440532013003": (True, 3),  # "after at least three minutes" at Stripe
    "DE62370400440532013001": (False, 1),
    "DE78370400440532013004": (False, 3),
}
FAILURE = ("insufficient_funds", "The customer's account has insufficient funds to cover "
           "this payment.")
# The payment methods the sandbox can take, and the currencies each works in (None: any).
METHODS = {"card": None, "sepa_debit": {"eur"}}
DEFAULT_METHODS = ["card"]  # what Stripe's dynamic payment methods give a plain account
# Stripe-Version from which Checkout Sessions no longer take payment_method_types.
NO_PAYMENT_METHOD_TYPES_FROM = "2026-09-30"

_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


# Which methods a session accepts ------------------------------------------------------

def session_payment_method_types(params, currency):
    """The session's payment_method_types: `allowed_payment_method_types` (a filter, as at
    Stripe: what cannot be used here is left out), `excluded_payment_method_types`, or the
    explicit `payment_method_types` of API versions before 2026-09-30; default ["card"]."""
    explicit = [str(kind) for kind in get_list(params, "payment_method_types")]
    allowed = [str(kind) for kind in get_list(params, "allowed_payment_method_types")]
    excluded = [str(kind) for kind in get_list(params, "excluded_payment_method_types")]
    if explicit:
        if api_version() >= NO_PAYMENT_METHOD_TYPES_FROM:
            raise StripeError(
                400, "Received unknown parameter: payment_method_types (Checkout Sessions take "
                "allowed_payment_method_types since API version 2026-09-30).",
                code="parameter_unknown", param="payment_method_types")
        if allowed or excluded:
            raise StripeError(400, "You cannot combine payment_method_types with "
                              "allowed_payment_method_types or excluded_payment_method_types.",
                              param="payment_method_types")
        for kind in explicit:
            if not _usable(kind, currency):
                raise StripeError(400, f"The payment method type {kind!r} is invalid or cannot be "
                                  f"used with currency {currency} in the Stripe sandbox.",
                                  param="payment_method_types")
        return list(dict.fromkeys(explicit))
    if allowed and excluded:
        raise StripeError(400, "You cannot combine allowed_payment_method_types with "
                          "excluded_payment_method_types.", param="allowed_payment_method_types")
    methods = [kind for kind in dict.fromkeys(allowed) if _usable(kind, currency)] if allowed else [
        kind for kind in DEFAULT_METHODS if kind not in excluded]
    if not methods:
        name = "allowed_payment_method_types" if allowed else "excluded_payment_method_types"
        raise StripeError(400, "No payment method can be used for this Checkout Session: none of "
                          f"those left by {name} works with currency {currency}.", param=name)
    return methods


def _usable(kind, currency):
    return kind in METHODS and (METHODS[kind] is None or currency in METHODS[kind])


# An IBAN on the payment page ---------------------------------------------------------

def parse_iban(text):
    """The IBAN typed (compact, upper case), or None if the text has no IBAN's shape (a card
    number, say). Raises CardInputError for an IBAN whose check digits are wrong."""
    compact = re.sub(r"[\s-]", "", text or "").upper()
    if not _IBAN_SHAPE.fullmatch(compact):
        return None
    rearranged = compact[4:] + compact[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        raise CardInputError("Your IBAN is invalid.")
    return compact


def payment_method_details(iban):
    return {"type": "sepa_debit", "sepa_debit": {
        "bank_code": iban[4:12], "branch_code": "", "country": iban[:2],
        "fingerprint": hashlib.sha256(iban.encode()).hexdigest()[:16],
        "last4": iban[-4:], "mandate": store.new_id("mandate_"),
    }}


def settle_later(session, iban):
    """Note on the (completed, unpaid) session that the bank answers a moment from now.
    The caller stores the session."""
    succeeds, delays = TEST_IBANS.get(iban, (True, 1))
    delay = delays * float(current_app.config["STRIPE_SANDBOX_ASYNC_DELAY"])
    delayed.schedule(session, "settle_debit", delay=delay, succeeds=succeeds)


@delayed.action("settle_debit")
def settle_debit(session_id, succeeds):
    """The bank's answer: the payment succeeds (a succeeded charge, the session paid) or
    fails (the PaymentIntent needs another payment method)."""
    session = store.get(session_id, "checkout.session", lock=True)
    intent = store.get(session["payment_intent"], "payment_intent", lock=True)
    if intent is None or intent["status"] != "processing":
        return
    charge = store.get(intent["latest_charge"], "charge", lock=True)
    if succeeds:
        charge.update(status="succeeded", paid=True, captured=True,
                      amount_captured=charge["amount"])
        intent.update(status="succeeded", amount_received=intent["amount"])
        session["payment_status"] = "paid"
    else:
        code, message = FAILURE
        charge.update(status="failed", failure_code=code, failure_message=message)
        intent.update(status="requires_payment_method", last_payment_error={
            "type": "card_error", "code": code, "decline_code": None, "message": message,
            "charge": charge["id"], "payment_method": {"id": charge["payment_method"],
                                                       "object": "payment_method",
                                                       "type": "sepa_debit"},
        })
    for obj in (charge, intent, session):
        store.put(obj)
    if succeeds:
        record_event("checkout.session.async_payment_succeeded", render(session))
    else:
        record_event("payment_intent.payment_failed", render(intent))
        record_event("checkout.session.async_payment_failed", render(session))
