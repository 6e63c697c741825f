"""The shared cache, used so that its failure never fails a page.

Any error (Redis down, slow, full) makes the call return None, as a miss would, and
the cache is left alone for a few seconds instead of paying a timeout per request.
"""
import logging
import time

from webshop.extensions import cache

log = logging.getLogger(__name__)

RETRY_AFTER = 5.0
_down_until = 0.0


def call(method, *args):
    """cache.<method>(*args), or None if the cache is failing."""
    global _down_until
    if time.monotonic() < _down_until:
        return None
    try:
        return getattr(cache, method)(*args)
    except Exception as exc:  # redis.RedisError, OSError: any cache failure degrades to no cache
        _down_until = time.monotonic() + RETRY_AFTER
        log.warning("cache unavailable, serving uncached for %ss: %s", RETRY_AFTER, exc)
        return None


def reset():
    global _down_until
    _down_until = 0.0


def remember(key, timeout, load):
    """load() cached for `timeout` seconds under `key` (None results are not cached)."""
    value = call("get", key)
    if value is None:
        value = load()
        if value is not None:
            call("set", key, value, timeout)
    return value
