"""Rate limits for the few endpoints that need them (login, password reset).

Built on the `limits` library (the engine inside Flask-Limiter) and called only where a
limit applies, so the other requests pay nothing. Counters live in Redis when there is
one, so every web process shares them; in this process's memory otherwise. If the
counter store fails, requests are let through (and logged): a broken Redis must not
lock every shopper out.
"""
import logging

from flask import abort, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


def init_app(app):
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["webshop.ratelimit"] = MovingWindowRateLimiter(storage)


def limit(scope, rates, key=None):
    """Count one hit against `rates` (e.g. "10/minute;50/hour") for this client; 429 when over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = current_app.extensions["webshop.ratelimit"]
    identity = key or request.remote_addr or "unknown"
    try:
        allowed = all([limiter.hit(item, scope, identity) for item in parse_many(rates)])
    except Exception as exc:  # the counter store is down: fail open, loudly
        log.warning("rate limit store unavailable: %s", exc)
        return
    if not allowed:
        abort(429, description="Too many attempts. Please wait a minute and try again.")


def reset():
    current_app.extensions["webshop.ratelimit"].storage.reset()
