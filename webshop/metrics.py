"""The figures each process counts as it works (prometheus_client): requests, their
latency, and the catalogue cache's hits and misses.

Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps these in
files in that folder (one per process) and /metrics sums them (webshop.ops); without
it, they live in this process's memory and /metrics shows this process's own. What the
shop holds (orders, queues, stock) is not counted here: webshop.ops reads it at scrape
time.

They sit in the hot path, so the labelled children are looked up once and kept: a
request costs a dictionary lookup and two increments, not a `labels()` call each.
"""
from prometheus_client import Counter, Histogram

REQUESTS = Counter("webshop_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("webshop_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint", "status"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
CACHE_HITS = Counter("webshop_cache_hits_total", "Catalogue cache lookups answered from the "
                     "cache (cache=page: rendered pages and fragments; data: query results)",
                     ["cache"])
CACHE_MISSES = Counter("webshop_cache_misses_total", "Catalogue cache lookups that had to "
                       "load from the database", ["cache"])

CACHES = ("page", "data")
CACHE_HIT = {name: CACHE_HITS.labels(name) for name in CACHES}
CACHE_MISS = {name: CACHE_MISSES.labels(name) for name in CACHES}

_request_children = {}


def count_request(method, endpoint, status, seconds):
    """Count one answered request and its latency."""
    key = (method, endpoint, status)
    children = _request_children.get(key)
    if children is None:
        status = str(status)
        children = _request_children[key] = (
            REQUESTS.labels(method, endpoint, status), LATENCY.labels(endpoint, status))
    children[0].inc()
    if seconds is not None:
        children[1].observe(seconds)
