"""Paying a Checkout Session on the hosted page: the card check, the session's
PaymentIntent and one Charge per attempt, declined as Stripe's test cards are; later
disputed or refused a refund as theirs are too; or, for an IBAN, a bank debit that
settles a moment later (webshop.payments.sandbox.debits).

Like checkout, these functions leave the commit to their caller (one payment attempt
is one transaction: `webhooks.commit_and_deliver()`).
"""
import re
from dataclasses import dataclass

from webshop.payments.sandbox import debits, disputes, refunds, store
from webshop.payments.sandbox.checkout import load_session
from webshop.payments.sandbox.errors import CardInputError
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.webhooks import record_event

__all__ = ["CardInputError", "PaymentResult", "SessionNotOpen", "pay"]

# Stripe's test cards that fail: number -> (code, decline_code, message).
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", None, "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect."),
}


class SessionNotOpen(Exception):
    """The session was paid or has expired: there is nothing left to pay."""

    def __init__(self, session):
        super().__init__(session["status"])
        self.session = session


@dataclass
class PaymentResult:
    session: dict
    payment_intent: dict
    declined_message: str | None = None

    @property
    def paid(self):
        """Accepted: paid by card, or a bank debit now processing."""
        return self.declined_message is None

    @property
    def processing(self):
        return self.payment_intent["status"] == "processing"


def pay(session_id, card_number, expiry="", cvc="", email=""):
    """One attempt to pay the session with a card (or, if the session accepts sepa_debit,
    an IBAN in the same field). Raises LookupError (no such session), SessionNotOpen (paid
    or expired: nothing is charged twice) or CardInputError (not a card number, or an IBAN
    the session does not accept). A declined card records payment_intent.payment_failed;
    a good one, or a bank debit, completes the session and records
    checkout.session.completed."""
    session = load_session(session_id, lock=True)  # held until commit: one payment wins
    if session is None:
        raise LookupError(session_id)
    if session["status"] != "open":
        raise SessionNotOpen(session)
    iban = debits.parse_iban(card_number)
    if iban is not None:
        return _pay_by_debit(session, iban, email)
    number = _check_card(card_number, expiry, cvc)

    payment_intent = _payment_intent(session)
    decline = DECLINED_CARDS.get(number)
    charge = _charge(session, payment_intent, email, _card_details(number), decline)
    payment_intent["latest_charge"] = charge["id"]
    if decline:
        code, decline_code, message = decline
        payment_intent.update(status="requires_payment_method", last_payment_error={
            "type": "card_error", "code": code, "decline_code": decline_code,
            "message": message, "charge": charge["id"],
        })
        store.put(payment_intent)
        record_event("payment_intent.payment_failed", render(payment_intent))
        return PaymentResult(session, payment_intent, declined_message=message)

    charge["_refunds"] = refunds.REFUND_CARDS.get(number)
    disputes.dispute_later(charge, number)
    store.put(charge)
    payment_intent.update(status="succeeded", amount_received=payment_intent["amount"],
                          last_payment_error=None)
    store.put(payment_intent)
    _complete(session, payment_intent, email, "paid")
    record_event("checkout.session.completed", render(session))
    return PaymentResult(session, payment_intent)


def _pay_by_debit(session, iban, email):
    """A SEPA Direct Debit: the session completes unpaid, the PaymentIntent is processing
    and its charge pending until the bank answers (debits.settle_later)."""
    if "sepa_debit" not in session["payment_method_types"]:
        raise CardInputError("This payment page takes cards only, not bank debits: please "
                             "enter a card number.")
    payment_intent = _payment_intent(session)
    charge = _charge(session, payment_intent, email, debits.payment_method_details(iban))
    charge.update(status="pending", paid=False)
    store.put(charge)
    payment_intent.update(status="processing", latest_charge=charge["id"],
                          last_payment_error=None)
    store.put(payment_intent)
    _complete(session, payment_intent, email, "unpaid")
    debits.settle_later(session, iban)
    store.put(session)
    record_event("checkout.session.completed", render(session))
    return PaymentResult(session, payment_intent)


def debit_state(session):
    """A completed but unpaid session's bank debit: "processing" or "failed"."""
    intent = store.get(session.get("payment_intent") or "", "payment_intent")
    return "processing" if intent is not None and intent["status"] == "processing" else "failed"


def _complete(session, payment_intent, email, payment_status):
    session.update(
        status="complete", payment_status=payment_status, payment_intent=payment_intent["id"],
        url=None,
        customer_details={"email": email or session["customer_email"], "name": None,
                          "phone": None, "address": None, "tax_exempt": "none", "tax_ids": []},
    )
    store.put(session)


def _check_card(card_number, expiry, cvc):
    number = re.sub(r"[\s-]", "", card_number or "")
    if not re.fullmatch(r"\d{12,19}", number) or not _luhn_ok(number):
        raise CardInputError("Your card number is invalid.")
    expiry = (expiry or "").strip()
    if expiry:
        match = re.fullmatch(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})", expiry)
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise CardInputError("Your card's expiration date is invalid.")
    cvc = (cvc or "").strip()
    if cvc and not re.fullmatch(r"\d{3,4}", cvc):
        raise CardInputError("Your card's security code is invalid.")
    return number


def _luhn_ok(number):
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _payment_intent(session):
    """The session's PaymentIntent: made on the first attempt and reused by later ones.
    Its id follows from the session's, so a declined attempt needs no link in the
    session (whose payment_intent stays null until it is paid)."""
    pi_id = "pi_" + session["id"].removeprefix("cs_test_")[:24]
    payment_intent = store.get(pi_id, "payment_intent")
    if payment_intent is not None:
        return payment_intent
    # Stripe copies payment_intent_data to the PaymentIntent, never the session's metadata.
    intent_data = session.get("_payment_intent_data") or {}
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_received": 0,
        "capture_method": "automatic",
        "created": store.now(),
        "currency": session["currency"],
        "customer": None,
        "description": intent_data.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(intent_data.get("metadata") or {}),
        "payment_method_types": list(session.get("payment_method_types") or ["card"]),
        "receipt_email": session["customer_email"],
        "status": "requires_payment_method",
        "_session": session["id"],  # whose delayed changes show on it (delayed.settle_around)
    }


def _card_details(number):
    return {"type": "card", "card": {
        "brand": _brand(number), "last4": number[-4:], "funding": "credit",
        "country": "US", "exp_month": 12, "exp_year": 2034,
    }}


def _charge(session, payment_intent, email, details, decline=None):
    code, _, message = decline or (None, None, None)
    charge = {
        "id": store.new_id("ch_"),
        "object": "charge",
        "amount": payment_intent["amount"],
        "amount_captured": 0 if decline else payment_intent["amount"],
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": {"email": email or session["customer_email"], "name": None,
                            "phone": None, "address": None},
        "captured": not decline,
        "created": store.now(),
        "currency": payment_intent["currency"],
        "description": payment_intent["description"],
        "disputed": False,
        "failure_code": code,
        "failure_message": message,
        "livemode": False,
        "metadata": dict(payment_intent["metadata"]),
        "paid": not decline,
        "payment_intent": payment_intent["id"],
        "payment_method": store.new_id("pm_"),
        "payment_method_details": details,
        "receipt_email": payment_intent["receipt_email"],
        "refunded": False,
        "status": "failed" if decline else "succeeded",
        "_session": session["id"],
    }
    return store.put(charge)


def _brand(number):
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    return "unknown"
