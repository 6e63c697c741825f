"""Checkout Sessions as Stripe keeps them: created from price_data line items and
fixed-amount shipping options, read (and expired on the spot once their time has run
out), expired on request.

Plain functions over parsed parameters. They read and write through `store`, record
events through `webhooks.record_event`, and leave the commit to their caller (one API
call or one payment attempt is one transaction: `webhooks.commit_and_deliver()`).
"""
import re
from urllib.parse import urlsplit

from webshop.payments.sandbox import debits, store
from webshop.payments.sandbox.errors import StripeError, no_such
from webshop.payments.sandbox.objects import render
from webshop.payments.sandbox.params import (
    LEGACY_SESSION_PARAMS, LINE_ITEM_PARAMS, PAYMENT_INTENT_DATA_PARAMS, PRICE_DATA_PARAMS,
    PRODUCT_DATA_PARAMS, SESSION_PARAMS, check_known, get_int, get_list, get_map, get_metadata,
    get_str, missing, param_name,
)
from webshop.payments.sandbox.webhooks import record_event

SESSION_TTL = 24 * 3600
EXPIRES_AT_MIN = 30 * 60  # Stripe: expires_at between 30 minutes and 24 hours ahead
CLOCK_LEEWAY = 5  # seconds: the shop computes expires_at a moment before we check it


# Creating a session --------------------------------------------------------------------

def create_session(params, base_url):
    """POST /v1/checkout/sessions (mode=payment, price_data line items, optional fixed-
    amount shipping options). Returns the stored session."""
    check_known(params, SESSION_PARAMS and SESSION_PARAMS | LEGACY_SESSION_PARAMS)
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
        "metadata": get_metadata(params, "metadata"),
        "mode": "payment",
        "payment_intent": None,
        "payment_method_types": debits.session_payment_method_types(params, currency),
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
            "metadata": get_metadata(params, "payment_intent_data", "metadata"),
        },
        "_shipping_rates": shipping_options,
    }
    if shipping_options:
        session["shipping_cost"] = {
            "amount_subtotal": shipping, "amount_tax": 0, "amount_total": shipping,
            "shipping_rate": shipping_options[0]["id"],
        }
    return store.put(session, new=True)


def _line_item(params, index):
    item = get_map(params, "line_items", index)
    check_known(item, LINE_ITEM_PARAMS, ("line_items", index))
    price = get_str(params, "line_items", index, "price")
    if price:
        raise _only_inline("price", price, "price_data line items", "line_items", index, "price")
    path = ("line_items", index, "price_data")
    if not get_map(params, *path):
        raise missing(param_name(*path))
    check_known(get_map(params, *path), PRICE_DATA_PARAMS, path)
    check_known(get_map(params, *path, "product_data"), PRODUCT_DATA_PARAMS,
                path + ("product_data",))
    currency = _currency(params, *path, "currency")
    unit_amount = get_int(params, *path, "unit_amount", required=True, minimum=0)
    product = get_str(params, *path, "product")
    if product:
        raise _only_inline("product", product, "product_data", *path, "product")
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
        raise _only_inline("shipping_rate", rate_id, "shipping_rate_data",
                           "shipping_options", index, "shipping_rate")
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


def _only_inline(kind, object_id, inline, *path):
    """A reference to a stored price, product or shipping rate: the sandbox keeps none,
    so the session must describe them inline."""
    return StripeError(400, f"No such {kind}: '{object_id}' (the Stripe sandbox knows only "
                       f"{inline}).", code="resource_missing", param=param_name(*path))


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


# Reading and expiring ------------------------------------------------------------------

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


def retrieve_session(session_id, expand=()):
    """GET /v1/checkout/sessions/<id>: the session, rendered (expired first if due)."""
    session = load_session(session_id)
    if session is None:
        raise no_such("checkout.session", session_id)
    return render(session, expand)


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


def success_redirect(session):
    """Where the shopper goes after paying: success_url with the session id filled in."""
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None
