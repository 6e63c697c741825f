"""Rate limits for the few endpoints that need them (login, registration, password reset).

Built on the `limits` library (the engine inside Flask-Limiter) and called only where a
limit applies, so the other requests pay nothing. Counters live in Redis when there is
one, so every web process shares them; in this process's memory otherwise. If the
counter store fails, requests are let through (and logged): a broken Redis must not
lock every shopper out.

The forms that take an email address are limited twice (Throttle): per client address
(request.remote_addr, which is the shopper's once TRUSTED_PROXY_HOPS says how many
proxies to look through, see webshop.web.security) and per account, keyed by a hash of
the email typed, whether or not an account has it, so the answer never tells. Guesses
at one account from many addresses hit the account's limit; one office behind one
address is locked out only well after any single account would be.
"""
import hashlib
import logging

from flask import abort, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from webshop.models.users import normalize_email

log = logging.getLogger(__name__)
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."


def init_app(app):
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["webshop.ratelimit"] = MovingWindowRateLimiter(storage)


def client_address():
    """The shopper's address (behind the configured proxies), for counters and logs."""
    return request.remote_addr or "unknown"


def account_key(email):
    """The counter key for an email address (a hash: no addresses in Redis), or None."""
    email = normalize_email(email)
    return hashlib.sha256(email.encode()).hexdigest()[:32] if email else None


def _store(action):
    """Run action(limiter) against the counter store; None when limits are off or the
    store is down (fail open, loudly)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    try:
        return action(current_app.extensions["webshop.ratelimit"])
    except Exception as exc:  # noqa: BLE001  the counter store is down
        log.warning("rate limit store unavailable: %s", exc)
        return None


def limit(scope, rates, key=None):
    """Count one hit against `rates` (e.g. "10/minute;50/hour") for this client; 429 when over."""
    identity = key or client_address()
    allowed = _store(lambda limiter: all([limiter.hit(item, scope, identity)
                                          for item in parse_many(rates)]))
    if allowed is False:
        abort(429, description=TOO_MANY)


class Throttle:
    """The limits of one form that names an account: per client address and per account.

    check() refuses (429) once either is used up, without counting; count() counts one
    attempt against both (a failed login); hit() does both at once (a request that
    sends an email counts whether or not it is refused).
    """

    def __init__(self, scope, per_address, per_account, email):
        self.counters = [(f"{scope}:address", per_address, client_address())]
        account = account_key(email)
        if account is not None:
            self.counters.append((f"{scope}:account", per_account, account))

    def _items(self):
        return [(item, scope, key) for scope, rates, key in self.counters
                for item in parse_many(rates)]

    def check(self):
        allowed = _store(lambda limiter: all([limiter.test(item, scope, key)
                                              for item, scope, key in self._items()]))
        if allowed is False:
            abort(429, description=TOO_MANY)

    def count(self):
        _store(lambda limiter: [limiter.hit(item, scope, key) for item, scope, key in self._items()])

    def hit(self):
        allowed = _store(lambda limiter: all([limiter.hit(item, scope, key)
                                              for item, scope, key in self._items()]))
        if allowed is False:
            abort(429, description=TOO_MANY)


def reset():
    current_app.extensions["webshop.ratelimit"].storage.reset()
