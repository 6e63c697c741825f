"""The `stripe_sandbox` blueprint: Stripe's API under /_sandbox/stripe/v1/ and the
hosted payment page under /_sandbox/stripe/pay/<session id>.

API calls speak Stripe's wire format (form-encoded in, JSON out, errors as
{"error": {...}}), need a Bearer key (any), honour Idempotency-Key and are CSRF-exempt.
The payment page is an ordinary form, CSRF-protected like every form of the shop.
"""
import base64
import hashlib
import json
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from webshop.extensions import csrf
from webshop.payments.sandbox import (
    charges, checkout, delayed, disputes, objects, refunds, store, webhooks,
)
from webshop.payments.sandbox.errors import StripeError
from webshop.payments.sandbox.params import get_list, parse_params

bp = Blueprint("stripe_sandbox", __name__, url_prefix="/_sandbox/stripe",
               template_folder="templates", static_folder="static",
               static_url_path="/static")

API_PREFIX = "/_sandbox/stripe/v1/"


# The API -------------------------------------------------------------------------------

def api_route(rule, methods):
    """Register an API view: `view(params, **url_values) -> dict` (or raise StripeError)."""
    def decorator(view):
        @wraps(view)
        def endpoint(**url_values):
            return _api_call(view, url_values)
        bp.add_url_rule(rule, view_func=csrf.exempt(endpoint), methods=methods)
        return endpoint
    return decorator


def _api_call(view, url_values):
    """One API call is one transaction: authenticate, replay a known Idempotency-Key,
    run the view, commit (with the key's stored answer), then send the events."""
    g.stripe_request_id = store.new_id("req_", 14)
    try:
        api_key = _api_key()
    except StripeError as error:
        return _json(error.status, error.body())
    key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    if key:
        replay = _replay(api_key, key)
        if replay is not None:
            return replay
    try:
        pairs = (request.form if request.method == "POST" else request.args).items(multi=True)
        status, body = 200, view(parse_params(pairs), **url_values)
    except StripeError as error:
        webhooks.rollback()
        status, body = error.status, error.body()
    if key:
        store.put({"id": _key_id(api_key, key), "object": "idempotency_key", "key": key[:255],
                   "fingerprint": _fingerprint(), "status": status, "body": body},
                  new=True)  # _replay found none; a concurrent twin fails the commit below
    try:
        webhooks.commit_and_deliver()
    except IntegrityError:  # the same key committed first by a concurrent request
        webhooks.rollback()
        replay = _replay(api_key, key) if key else None
        if replay is None:
            raise
        return replay
    return _json(status, body)


def _api_key():
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic" and credentials:
        try:
            credentials = base64.b64decode(credentials).decode("utf-8").split(":", 1)[0]
        except ValueError:
            credentials = ""
    elif scheme.lower() != "bearer":
        credentials = ""
    if not credentials:
        raise StripeError(401, "You did not provide an API key. You need to provide your API "
                          "key in the Authorization header, using Bearer auth (e.g. "
                          "'Authorization: Bearer YOUR_SECRET_KEY').")
    return credentials  # any key will do: this is a sandbox


def _key_id(api_key, key):
    # Keys are per account at Stripe; ours are per API key, hashed to fit the id column.
    return "idem_" + hashlib.sha256(f"{api_key}\n{key}".encode("utf-8")).hexdigest()[:40]


def _fingerprint():
    pairs = sorted(request.form.items(multi=True))
    raw = json.dumps([request.method, request.path, pairs])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _replay(api_key, key):
    stored = store.get(_key_id(api_key, key), "idempotency_key")
    if stored is None:
        return None
    if stored["fingerprint"] != _fingerprint():
        error = StripeError(400, "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error")
        return _json(error.status, error.body())
    response = _json(stored["status"], stored["body"])
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _json(status, body):
    response = current_app.response_class(
        json.dumps(body, indent=2), status=status, mimetype="application/json"
    )
    response.headers["Request-Id"] = g.get("stripe_request_id", "")
    return response


def _expand(params):
    return [str(path) for path in get_list(params, "expand")]


@api_route("/v1/checkout/sessions", methods=["POST"])
def create_checkout_session(params):
    # The payment page is served by this app: at BASE_URL, or (unset) wherever this
    # request reached it. In-process, that is the host of the shop request that called.
    base_url = current_app.config["BASE_URL"] or request.host_url
    session = checkout.create_session(params, base_url)
    return objects.render(session, _expand(params))


@api_route("/v1/checkout/sessions/<session_id>", methods=["GET"])
def retrieve_checkout_session(params, session_id):
    delayed.settle(session_id)  # a bank debit whose answer is due
    return checkout.retrieve_session(session_id, _expand(params))


@api_route("/v1/checkout/sessions/<session_id>/line_items", methods=["GET"])
def list_checkout_session_line_items(params, session_id):
    session = checkout.retrieve_session(session_id, ["line_items"])
    return session["line_items"]


@api_route("/v1/checkout/sessions/<session_id>/expire", methods=["POST"])
def expire_checkout_session(params, session_id):
    return objects.render(checkout.expire_session(session_id), _expand(params))


@api_route("/v1/refunds", methods=["POST"])
def create_refund(params):
    return objects.render(refunds.create_refund(params), _expand(params))


@api_route("/v1/payment_intents/<object_id>", methods=["GET"])
def retrieve_payment_intent(params, object_id):
    return delayed.retrieve("payment_intent", object_id, _expand(params))


@api_route("/v1/charges/<object_id>", methods=["GET"])
def retrieve_charge(params, object_id):
    return delayed.retrieve("charge", object_id, _expand(params))


@api_route("/v1/refunds/<object_id>", methods=["GET"])
def retrieve_refund(params, object_id):
    return delayed.retrieve("refund", object_id, _expand(params))


@api_route("/v1/disputes/<object_id>", methods=["GET"])
def retrieve_dispute(params, object_id):
    return delayed.retrieve("dispute", object_id, _expand(params))


@api_route("/v1/disputes/<object_id>", methods=["POST"])
def update_dispute(params, object_id):
    return objects.render(disputes.update_dispute(object_id, params), _expand(params))


@api_route("/v1/disputes/<object_id>/close", methods=["POST"])
def close_dispute(params, object_id):
    return objects.render(disputes.close_dispute(object_id, params), _expand(params))


@api_route("/v1/events/<object_id>", methods=["GET"])
def retrieve_event(params, object_id):
    return objects.retrieve("event", object_id, _expand(params))


@api_route("/v1/<path:anything>", methods=["GET", "POST", "DELETE"])
def unrecognized(params, anything):
    raise StripeError(404, f"Unrecognized request URL ({request.method}: /v1/{anything}). "
                      "The Stripe sandbox implements Checkout Sessions, refunds and disputes "
                      "only.")


# The hosted payment page ---------------------------------------------------------------

@bp.get("/pay/<session_id>")
def pay_page(session_id):
    delayed.settle(session_id)  # a bank debit whose answer is due
    session = checkout.load_session(session_id)  # may expire it: commit that and its event
    webhooks.commit_and_deliver()
    if session is None:
        return _message(404, "Payment page not found",
                        "There is no payment with this address. It may have been mistyped.")
    if session["status"] != "open":
        return _closed(session, method="GET")
    return _pay_form(session)


@bp.post("/pay/<session_id>")
def pay(session_id):
    form = request.form
    try:
        result = charges.pay(session_id, form.get("card_number", ""), form.get("expiry", ""),
                            form.get("cvc", ""), form.get("email", "").strip())
    except LookupError:
        webhooks.rollback()
        return _message(404, "Payment page not found",
                        "There is no payment with this address. It may have been mistyped.")
    except charges.SessionNotOpen as closed:
        webhooks.commit_and_deliver()  # keeps an expiry noticed just now
        return _closed(closed.session, method="POST")
    except charges.CardInputError as error:
        webhooks.rollback()
        session = checkout.load_session(session_id)
        webhooks.commit_and_deliver()
        return _pay_form(session, error=str(error), status=422)
    webhooks.commit_and_deliver()
    if not result.paid:
        return _pay_form(result.session, error=result.declined_message, status=402)
    target = checkout.success_redirect(result.session)
    return redirect(target or url_for(".pay_page", session_id=session_id), 303)


def _pay_form(session, error=None, status=200):
    return render_template(
        "stripe_sandbox/pay.html", session=session, items=session["line_items"]["data"],
        shipping=(session.get("_shipping_rates") or [None])[0], error=error,
        shop_name=current_app.config["SHOP_NAME"], back_url=_back_url(session),
        accepts_debit="sepa_debit" in session["payment_method_types"],
    ), status


def _closed(session, method):
    if session["status"] == "expired":
        return _message(410, "This checkout has expired",
                        "The time to pay has run out, so nothing was charged. Go back to the "
                        "shop to start again.", link=_back_url(session))
    # Paid (or a bank debit under way): looking again is fine (200); paying again is
    # refused (409).
    status = 200 if method == "GET" else 409
    if session["payment_status"] != "paid":
        return _debit_message(session, status)
    return _message(status, "This payment is complete",
                    "Thank you: this checkout has already been paid, and it cannot be paid "
                    "twice.", link=checkout.success_redirect(session) or _back_url(session),
                    session=session)


def _debit_message(session, status):
    if charges.debit_state(session) == "processing":
        return _message(status, "Your payment is being processed",
                        "Thank you: your bank debit has been submitted. Banks take a while to "
                        "confirm it; the shop confirms your order once it has.",
                        link=checkout.success_redirect(session) or _back_url(session))
    return _message(status, "Your bank debit failed",
                    "Your bank did not make the payment, so nothing was paid. Go back to the "
                    "shop to place the order again.", link=_back_url(session))


def _back_url(session):
    return session.get("cancel_url") or current_app.config["BASE_URL"] or request.host_url


def _message(status, title, text, link=None, session=None):
    return render_template(
        "stripe_sandbox/message.html", title=title, text=text, link=link, session=session,
        shop_name=current_app.config["SHOP_NAME"],
    ), status


# Errors: Stripe's JSON for the API, the sandbox's own page for the payment page ----------

def _unavailable(error):
    """The database is down or lost the connection: 503, as Stripe answers when it cannot
    serve (the stripe library retries it), and try-again on the payment page."""
    current_app.logger.warning("stripe sandbox: database unavailable on %s %s: %s",
                               request.method, request.path, type(error).__name__)
    if _is_api():
        response = _json(503, StripeError(503, "The Stripe sandbox is briefly unavailable.",
                                          type="api_error").body())
    else:
        body, status = _message(503, "Please try again in a moment",
                                "The payment page is briefly unavailable; nothing was charged.")
        response = current_app.make_response((body, status))
    response.headers["Retry-After"] = "5"
    return response


def _is_api():
    return request.path.startswith(API_PREFIX)


@bp.errorhandler(CSRFError)
def csrf_failed(error):
    return _message(400, "Please try again",
                    "Your session expired or the form was stale, so nothing was charged. "
                    "Go back, reload the payment page and try again.")


@bp.errorhandler(HTTPException)
def http_error(error):
    if _is_api():
        return _json(error.code, StripeError(error.code, error.description).body())
    return _message(error.code, error.name, error.description)


@bp.errorhandler(Exception)
def unexpected_error(error):
    webhooks.rollback()
    if isinstance(error, (OperationalError, DisconnectionError)):
        return _unavailable(error)
    current_app.logger.exception("stripe sandbox: error on %s %s", request.method, request.path)
    if _is_api():
        body = StripeError(500, "An unexpected error occurred in the Stripe sandbox.",
                           type="api_error").body()
        return _json(500, body)
    return _message(500, "Something went wrong",
                    "The payment page failed; nothing was charged. Please try again.")
