"""What the sandbox does: Checkout Sessions, card payments, refunds, as Stripe does them.

Plain functions over parsed parameters. They read and write through `store`, record
events through `webhooks.record_event`, and leave the commit to their caller (one API
call or one payment attempt is one transaction: `webhooks.commit_and_deliver()`).
Objects are kept as Stripe's JSON; keys starting with "_" are the sandbox's own notes
and never leave it.
"""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import stripe

from webshop.payments.sandbox import store
from webshop.payments.sandbox.errors import StripeError, no_such
from webshop.payments.sandbox.params import (
    check_known, get_int, get_list, get_map, get_str, missing, param_name,
)
from webshop.payments.sandbox.webhooks import record_event
from webshop.templating import format_money

SESSION_TTL = 24 * 3600
EXPIRES_AT_MIN = 30 * 60  # Stripe: expires_at between 30 minutes and 24 hours ahead
CLOCK_LEEWAY = 5  # seconds: the shop computes expires_at a moment before we check it

# Stripe's test cards that fail: number -> (code, decline_code, message).
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", None, "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect."),
}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


def _param_names(typed_dict):
    """Top-level parameter names the stripe library itself knows for a call, so unknown
    ones are refused as Stripe refuses them (None, i.e. no check, if it cannot tell)."""
    try:
        return frozenset(typed_dict.__annotations__) - frozenset(
            stripe.RequestOptions.__annotations__
        )
    except AttributeError:
        return None


try:
    from stripe.params import RefundCreateParams
    from stripe.params.checkout import (
        SessionCreateParams, SessionCreateParamsLineItem, SessionCreateParamsLineItemPriceData,
        SessionCreateParamsLineItemPriceDataProductData, SessionCreateParamsPaymentIntentData,
    )
except ImportError:  # a stripe release that moved them: accept any parameter
    SESSION_PARAMS = LINE_ITEM_PARAMS = PRICE_DATA_PARAMS = PRODUCT_DATA_PARAMS = None
    PAYMENT_INTENT_DATA_PARAMS = REFUND_PARAMS = None
else:
    SESSION_PARAMS = _param_names(SessionCreateParams)
    LINE_ITEM_PARAMS = _param_names(SessionCreateParamsLineItem)
    PRICE_DATA_PARAMS = _param_names(SessionCreateParamsLineItemPriceData)
    PRODUCT_DATA_PARAMS = _param_names(SessionCreateParamsLineItemPriceDataProductData)
    PAYMENT_INTENT_DATA_PARAMS = _param_names(SessionCreateParamsPaymentIntentData)
    REFUND_PARAMS = _param_names(RefundCreateParams)


class CardInputError(Exception):
    """What the shopper typed cannot be a card (the page says so; nothing is charged)."""


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
        return self.declined_message is None


# Rendering ---------------------------------------------------------------------------

def render(obj, expand=()):
    """The object as the API shows it, with `expand` paths ("payment_intent",
    "payment_intent.latest_charge", "line_items") replaced by the objects they name."""
    out = {key: value for key, value in obj.items() if not key.startswith("_")}
    if out.get("object") == "checkout.session" and "line_items" not in expand:
        out.pop("line_items", None)
    for path in expand:
        _expand(out, path, path.split("."))
    return out


def _expand(obj, path, parts):
    head, rest = parts[0], parts[1:]
    if head not in obj:
        raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
    value = obj[head]
    if isinstance(value, str):
        stored = store.get(value)
        if stored is None:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        value = obj[head] = render(stored)
    if rest and isinstance(value, dict):
        _expand(value, path, rest)


def retrieve(kind, object_id, expand=()):
    """GET /v1/<kind>s/<id>: the stored object, rendered."""
    if kind == "checkout.session":
        obj = load_session(object_id)
    else:
        obj = store.get(object_id, kind)
    if obj is None:
        raise no_such(kind, object_id)
    return render(obj, expand)


# Checkout Sessions ---------------------------------------------------------------------

def create_session(params, base_url):
    """POST /v1/checkout/sessions (mode=payment, price_data line items, optional fixed-
    amount shipping options). Returns the stored session."""
    check_known(params, SESSION_PARAMS)
    mode = get_str(params, "mode", required=True)
    if mode != "payment":
        raise StripeError(400, f"The Stripe sandbox supports mode=payment only, not {mode!r}.",
                          param="mode")
    ui_mode = get_str(params, "ui_mode") or "hosted"
    if ui_mode != "hosted":
        raise StripeError(400, "The Stripe sandbox supports ui_mode=hosted only.",
                          param="ui_mode")
    created = store.now()
    line_items = [_line_item(params, index) for index in range(len(get_list(params, "line_items")))]
    if not line_items:
        raise missing("line_items")
    currency = line_items[0]["currency"]
    for index, item in enumerate(line_items):
        if item["currency"] != currency:
            raise StripeError(400, "All line items must use the same currency.",
                              param=param_name("line_items", index, "price_data", "currency"))
    requested = (get_str(params, "currency") or currency).lower()
    if requested != currency:
        raise StripeError(400, f"The currency {requested} does not match the line items' "
                          f"currency {currency}.", param="currency")
    shipping_options = [_shipping_option(params, index, currency)
                        for index in range(len(get_list(params, "shipping_options")))]
    subtotal = sum(item["amount_total"] for item in line_items)
    shipping = shipping_options[0]["shipping_amount"] if shipping_options else 0

    expires_at = get_int(params, "expires_at")
    if expires_at is None:
        expires_at = created + SESSION_TTL
    elif expires_at < created + EXPIRES_AT_MIN - CLOCK_LEEWAY:
        raise StripeError(400, "The `expires_at` timestamp must be at least 30 minutes from "
                          "Checkout Session creation.", param="expires_at")
    elif expires_at > created + SESSION_TTL + CLOCK_LEEWAY:
        raise StripeError(400, "The `expires_at` timestamp must be less than 24 hours from "
                          "Checkout Session creation.", param="expires_at")

    payment_intent_data = get_map(params, "payment_intent_data")
    check_known(payment_intent_data, PAYMENT_INTENT_DATA_PARAMS, ("payment_intent_data",))
    session_id = store.new_id("cs_test_", 58)
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": subtotal,
        "amount_total": subtotal + shipping,
        "cancel_url": _url(params, "cancel_url"),
        "client_reference_id": _short(params, "client_reference_id", 200),
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": _email(params, "customer_email"),
        "expires_at": expires_at,
        "line_items": {
            "object": "list",
            "data": line_items,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        },
        "livemode": False,
        "locale": get_str(params, "locale"),
        "metadata": _metadata(params, "metadata"),
        "mode": "payment",
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "shipping_cost": None,
        "shipping_options": [
            {"shipping_amount": option["shipping_amount"], "shipping_rate": option["id"]}
            for option in shipping_options
        ],
        "status": "open",
        "success_url": _url(params, "success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": shipping, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{base_url.rstrip('/')}/_sandbox/stripe/pay/{session_id}",
        "_payment_intent_data": {
            "description": get_str(payment_intent_data, "description"),
            "metadata": _metadata(params, "payment_intent_data", "metadata"),
        },
        "_shipping_rates": shipping_options,
    }
    if shipping_options:
        session["shipping_cost"] = {
            "amount_subtotal": shipping, "amount_tax": 0, "amount_total": shipping,
            "shipping_rate": shipping_options[0]["id"],
        }
    return store.put(session)


def _line_item(params, index):
    item = get_map(params, "line_items", index)
    check_known(item, LINE_ITEM_PARAMS, ("line_items", index))
    if get_str(params, "line_items", index, "price"):
        price = get_str(params, "line_items", index, "price")
        raise StripeError(400, f"No such price: '{price}' (the Stripe sandbox knows only "
                          "price_data line items).", code="resource_missing",
                          param=param_name("line_items", index, "price"))
    path = ("line_items", index, "price_data")
    if not get_map(params, *path):
        raise missing(param_name(*path))
    check_known(get_map(params, *path), PRICE_DATA_PARAMS, path)
    check_known(get_map(params, *path, "product_data"), PRODUCT_DATA_PARAMS,
                path + ("product_data",))
    currency = _currency(params, *path, "currency")
    unit_amount = get_int(params, *path, "unit_amount", required=True, minimum=0)
    if get_str(params, *path, "product"):
        product = get_str(params, *path, "product")
        raise StripeError(400, f"No such product: '{product}' (the Stripe sandbox knows only "
                          "product_data).", code="resource_missing",
                          param=param_name(*path, "product"))
    name = get_str(params, *path, "product_data", "name", required=True)
    quantity = get_int(params, "line_items", index, "quantity", required=True, minimum=1)
    amount = unit_amount * quantity
    return {
        "id": store.new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": currency,
        "description": name,
        "price": {
            "id": store.new_id("price_"),
            "object": "price",
            "active": False,
            "currency": currency,
            "livemode": False,
            "metadata": {},
            "product": store.new_id("prod_", 14),
            "type": "one_time",
            "unit_amount": unit_amount,
        },
        "quantity": quantity,
    }


def _shipping_option(params, index, currency):
    path = ("shipping_options", index, "shipping_rate_data")
    rate_id = get_str(params, "shipping_options", index, "shipping_rate")
    if rate_id:
        raise StripeError(400, f"No such shipping_rate: '{rate_id}' (the Stripe sandbox knows "
                          "only shipping_rate_data).", code="resource_missing",
                          param=param_name("shipping_options", index, "shipping_rate"))
    if not get_map(params, *path):
        raise missing(param_name(*path))
    kind = get_str(params, *path, "type") or "fixed_amount"
    if kind != "fixed_amount":
        raise StripeError(400, "Only fixed_amount shipping rates are supported.",
                          param=param_name(*path, "type"))
    amount = get_int(params, *path, "fixed_amount", "amount", required=True, minimum=0)
    rate_currency = _currency(params, *path, "fixed_amount", "currency")
    if rate_currency != currency:
        raise StripeError(400, "The shipping rate's currency must match the line items'.",
                          param=param_name(*path, "fixed_amount", "currency"))
    return {
        "id": store.new_id("shr_"),
        "display_name": get_str(params, *path, "display_name", required=True),
        "shipping_amount": amount,
    }


def _currency(params, *path):
    value = get_str(params, *path, required=True).lower()
    if not re.fullmatch(r"[a-z]{3}", value):
        raise StripeError(400, f"Invalid currency: {value}. Stripe currencies are three-letter "
                          "ISO codes.", code="parameter_invalid_string",
                          param=param_name(*path))
    return value


def _url(params, name):
    value = get_str(params, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StripeError(400, "Not a valid URL", code="url_invalid", param=name)
    return value


def _email(params, name):
    value = get_str(params, name)
    if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise StripeError(400, f"Invalid email address: {value}", code="email_invalid",
                          param=name)
    return value


def _short(params, name, limit):
    value = get_str(params, name)
    if value is not None and len(value) > limit:
        raise StripeError(400, f"Invalid {name}: must be at most {limit} characters.",
                          code="parameter_invalid_string", param=name)
    return value


def _metadata(params, *path):
    metadata = get_map(params, *path)
    if len(metadata) > 50:
        raise StripeError(400, "Invalid metadata: metadata can have at most 50 keys.",
                          param=param_name(*path))
    for key, value in metadata.items():
        if not isinstance(value, str) or len(key) > 40 or len(value) > 500:
            raise StripeError(400, "Invalid metadata: keys can be at most 40 characters and "
                              "values at most 500.", param=param_name(*path, key))
    return metadata


def load_session(session_id, lock=False):
    """The stored session, expired on the spot if its expires_at has passed (recording
    checkout.session.expired, as Stripe would have). None if there is no such session."""
    session = store.get(session_id, "checkout.session", lock=lock)
    if session is None or not _expiry_due(session):
        return session
    if not lock:
        session = store.get(session_id, "checkout.session", lock=True)
        if not _expiry_due(session):
            return session
    return _expire(session)


def _expiry_due(session):
    return session["status"] == "open" and store.now() >= session["expires_at"]


def expire_session(session_id):
    """POST /v1/checkout/sessions/<id>/expire: open -> expired (event
    checkout.session.expired); any other state is an error, as at Stripe."""
    session = load_session(session_id, lock=True)
    if session is None:
        raise no_such("checkout.session", session_id)
    if session["status"] != "open":
        raise StripeError(400, 'Only Checkout Sessions with a status in ["open"] can be '
                          f"expired. This one is {session['status']}.")
    return _expire(session)


def _expire(session):
    session.update(status="expired", url=None)
    store.put(session)
    record_event("checkout.session.expired", render(session))
    return session


# Paying on the hosted page -------------------------------------------------------------

def pay(session_id, card_number, expiry="", cvc="", email=""):
    """One attempt to pay the session with a card. Raises LookupError (no such session),
    SessionNotOpen (paid or expired: nothing is charged twice) or CardInputError (not a
    card number). A declined card records payment_intent.payment_failed; a good one
    completes the session and records checkout.session.completed."""
    session = load_session(session_id, lock=True)  # held until commit: one payment wins
    if session is None:
        raise LookupError(session_id)
    if session["status"] != "open":
        raise SessionNotOpen(session)
    number = _check_card(card_number, expiry, cvc)

    payment_intent = _payment_intent(session)
    decline = DECLINED_CARDS.get(number)
    charge = _charge(session, payment_intent, number, email, decline)
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

    payment_intent.update(status="succeeded", amount_received=payment_intent["amount"],
                          last_payment_error=None)
    store.put(payment_intent)
    session.update(
        status="complete", payment_status="paid", payment_intent=payment_intent["id"], url=None,
        customer_details={"email": email or session["customer_email"], "name": None,
                          "phone": None, "address": None, "tax_exempt": "none", "tax_ids": []},
    )
    store.put(session)
    record_event("checkout.session.completed", render(session))
    return PaymentResult(session, payment_intent)


def success_redirect(session):
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


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
        "metadata": intent_data.get("metadata") or dict(session["metadata"]),
        "payment_method_types": ["card"],
        "receipt_email": session["customer_email"],
        "status": "requires_payment_method",
    }


def _charge(session, payment_intent, number, email, decline):
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
        "failure_code": code,
        "failure_message": message,
        "livemode": False,
        "metadata": dict(payment_intent["metadata"]),
        "paid": not decline,
        "payment_intent": payment_intent["id"],
        "payment_method": store.new_id("pm_"),
        "payment_method_details": {"type": "card", "card": {
            "brand": _brand(number), "last4": number[-4:], "funding": "credit",
            "country": "US", "exp_month": 12, "exp_year": 2034,
        }},
        "receipt_email": payment_intent["receipt_email"],
        "refunded": False,
        "status": "failed" if decline else "succeeded",
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


# Refunds -------------------------------------------------------------------------------

def create_refund(params):
    """POST /v1/refunds (payment_intent or charge; amount defaults to what is left):
    records charge.refunded with the updated charge."""
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
    refund = store.put({
        "id": store.new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "metadata": _metadata(params, "metadata"),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "status": "succeeded",
    })
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    store.put(charge)
    record_event("charge.refunded", render(charge))
    return refund


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
    charge = store.get(charge_id, "charge", lock=True)  # held until commit: no over-refund
    if charge is None:
        raise no_such("charge", charge_id, param="charge")
    if charge["status"] != "succeeded":
        raise StripeError(400, f"Charge {charge_id} did not succeed and cannot be refunded.",
                          code="charge_not_refundable", param="charge")
    return charge
