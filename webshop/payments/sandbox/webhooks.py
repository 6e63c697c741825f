"""The sandbox's events and their delivery, the way Stripe does it.

An event is stored with the change that caused it and sent only after that change is
committed, as a JSON POST with a `Stripe-Signature: t=...,v1=...` header signed with
STRIPE_WEBHOOK_SECRET, from a background thread so the request that caused it never
waits. It goes over HTTP to STRIPE_SANDBOX_WEBHOOK_URL when that is set (a shop served
elsewhere); otherwise the receiving shop is this very app, and the POST to
/webhooks/stripe is handed to it in-process (no HTTP back into our own server, which
works on any host and port). Connection errors, exceptions and non-2xx answers are
retried after each of STRIPE_SANDBOX_RETRY_DELAYS seconds.
"""
import functools
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import stripe
from flask import current_app, g, has_request_context, request

from webshop.extensions import db
from webshop.payments.sandbox import store
from webshop.payments.sandbox.transport import call_app

log = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks) webshop-sandbox"
WEBHOOK_PATH = "/webhooks/stripe"  # the shop's endpoint (a stable URL)

_PENDING = "stripe_sandbox_events"  # db.session.info key: events awaiting the commit
_threads = set()
_threads_lock = threading.Lock()


def sign_payload(payload, secret, timestamp=None):
    """The Stripe-Signature header for `payload` (bytes or str), exactly as Stripe signs:
    v1 = hex HMAC-SHA256 of "<timestamp>.<payload>" keyed with the endpoint secret."""
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode("utf-8")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signature = hmac.new(secret.encode("utf-8"), f"{timestamp}.{payload}".encode("utf-8"),
                         hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def record_event(event_type, obj):
    """Store an event about `obj` in the caller's unit of work; it is delivered by
    commit_and_deliver() once that commits (and never, if it rolls back)."""
    version = request.headers.get("Stripe-Version") if has_request_context() else None
    event = {
        "id": store.new_id("evt_"),
        "object": "event",
        "api_version": version or stripe.api_version,
        "created": store.now(),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if has_request_context() and request.path.startswith("/_sandbox/stripe/v1/"):
        event["request"] = {"id": g.get("stripe_request_id"),
                            "idempotency_key": request.headers.get("Idempotency-Key")}
    store.put(event, new=True)
    db.session.info.setdefault(_PENDING, []).append(event)
    return event


def commit_and_deliver():
    """Commit the caller's unit of work, then send the events it recorded."""
    db.session.commit()
    events = db.session.info.pop(_PENDING, [])
    for event in events:
        _dispatch(event)


def rollback():
    """Roll back the caller's unit of work, forgetting the events it recorded."""
    db.session.rollback()
    db.session.info.pop(_PENDING, None)


def deliver_event(event_type, obj):
    """Store an event of `event_type` about `obj` (a Stripe object as a dict), commit the
    current database session, and deliver the event in the background. Returns the event."""
    event = record_event(event_type, obj)
    commit_and_deliver()
    return event


def wait_for_deliveries(timeout=10.0):
    """Wait until every delivery in flight has succeeded or given up; True if all did
    within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            threads = list(_threads)
        if not threads:
            return True
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            with _threads_lock:
                return not any(thread.is_alive() for thread in _threads)


def _dispatch(event):
    """Send `event` from a background thread, with the settings in force now."""
    config = current_app.config
    url = config.get("STRIPE_SANDBOX_WEBHOOK_URL")
    if url:
        send = functools.partial(_post, url, timeout=config["STRIPE_SANDBOX_WEBHOOK_TIMEOUT"])
    else:
        send = functools.partial(_post_in_process, current_app._get_current_object(),
                                 _own_url(config))
        url = "this app (in-process)"
    delays = tuple(config["STRIPE_SANDBOX_RETRY_DELAYS"])
    payload = json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")
    thread = threading.Thread(
        target=_deliver, args=(send, url, payload, config["STRIPE_WEBHOOK_SECRET"], delays,
                               event["id"], event["type"]),
        name=f"stripe-sandbox-{event['id']}", daemon=True,
    )
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def _own_url(config):
    """This app's webhook endpoint. Only the path routes an in-process request; the host
    is BASE_URL's when there is one (an app that checks hosts knows it)."""
    base = urllib.parse.urlsplit(config.get("BASE_URL") or "http://localhost")
    return f"{base.scheme or 'http'}://{base.netloc or 'localhost'}{WEBHOOK_PATH}"


def _deliver(send, url, payload, secret, delays, event_id, event_type):
    try:
        for attempt in range(len(delays) + 1):
            if attempt:
                time.sleep(delays[attempt - 1])
            outcome = send(payload, secret)
            if outcome is None:
                log.info("stripe sandbox: %s %s delivered to %s", event_type, event_id, url)
                return
            log.warning("stripe sandbox: %s %s to %s failed (attempt %d of %d): %s",
                        event_type, event_id, url, attempt + 1, len(delays) + 1, outcome)
        log.error("stripe sandbox: gave up delivering %s %s to %s", event_type, event_id, url)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Stripe does not follow redirects: a 3xx answer is a failed delivery."""

    def redirect_request(self, *args, **kwargs):
        return None


# Straight to the endpoint: no environment proxies, no redirects.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def _headers(payload, secret):
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": sign_payload(payload, secret),
    }


def _post_in_process(app, url, payload, secret):
    """One attempt handed to this app's WSGI callable in this (background) thread, signed
    afresh: None on a 2xx, else what went wrong."""
    try:
        _, status, _ = call_app(app, "POST", url, _headers(payload, secret), payload)
    except Exception as error:  # the endpoint raised: a failed attempt, retried like a 500
        return f"{type(error).__name__}: {error}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _post(url, payload, secret, timeout):
    """One attempt, signed afresh (as Stripe does): None on a 2xx, else what went wrong."""
    req = urllib.request.Request(url, data=payload, method="POST",
                                 headers=_headers(payload, secret))
    try:
        with _opener.open(req, timeout=timeout) as response:
            response.read()
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, reset, timed out, bad URL
        return f"{type(error).__name__}: {error}"
