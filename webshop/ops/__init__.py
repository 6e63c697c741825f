"""Operations endpoints for load balancers and monitoring: /healthz, /readyz, /metrics.

Request counts, latencies and cache hits are counted by each process (webshop.metrics)
and, under gunicorn with PROMETHEUS_MULTIPROC_DIR, summed over all its workers, so a
scrape shows the same totals whichever worker answers it. The shop's own figures (orders
by status, stock-outs, outbox, RQ queues and workers) are read at scrape time
(webshop.ops.collectors).

/metrics tells how the business goes (orders, backlog), so it answers only a scraper
that sends the METRICS_TOKEN as a bearer token, or connects from METRICS_ALLOW_FROM;
anyone else gets 403. An address counts only if it is the client's: a request carrying
X-Forwarded-For or Forwarded that no trusted proxy (TRUSTED_PROXY_HOPS) resolved came
through a proxy, and its address is the proxy's, which every visitor shares.
"""
import hmac
import ipaddress
import time

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess
from sqlalchemy import text

from webshop.extensions import cache, db
from webshop.metrics import count_request
from webshop.ops.collectors import ShopCollector

bp = Blueprint("ops", __name__)


def init_app(app):
    _networks(app.config.get("METRICS_ALLOW_FROM"))  # a typo fails at start-up, not per scrape

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def count(response):
        started = g.get("request_started")
        count_request(request.method, request.endpoint or "unmatched",
                      response.status_code,
                      None if started is None else time.perf_counter() - started)
        return response


def _networks(allowed):
    if isinstance(allowed, str):  # "10.0.0.0/8,127.0.0.1", as in the environment
        allowed = [entry.strip() for entry in allowed.split(",") if entry.strip()]
    try:
        return [ipaddress.ip_network(entry, strict=False) for entry in allowed or ()]
    except ValueError as exc:
        raise RuntimeError(f"METRICS_ALLOW_FROM: {exc}") from None


def may_scrape():
    """Whether this request may read /metrics: the bearer token, or an allowed address."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()):
        return True
    networks = _networks(config.get("METRICS_ALLOW_FROM"))
    if not networks or not request.remote_addr:
        return False
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if proxied and "werkzeug.proxy_fix.orig" not in request.environ:
        return False  # remote_addr is an untrusted proxy's, not the client's
    try:
        address = ipaddress.ip_address(request.remote_addr)
    except ValueError:
        return False
    return any(address in network for network in networks)


@bp.get("/metrics")
def metrics():
    if not may_scrape():
        abort(403, description="/metrics needs the metrics token or an allowed address.")
    folder = current_app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:  # every gunicorn worker's counts, summed
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted, path=folder)
    else:  # one process (development): its own
        counted = REGISTRY
    shop = CollectorRegistry()
    shop.register(ShopCollector(counted))
    body = generate_latest(counted) + generate_latest(shop)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


@bp.get("/healthz")
def healthz():
    """The process is up and answering; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers. Only the database: without it no page
    can be served, whereas without Redis the shop serves uncached and the outbox keeps
    its messages (DEPLOY.md), so a Redis outage must not take every instance out of the
    load balancer at once. Redis's state is shown, for a person, under "degraded"."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    finally:
        db.session.rollback()
    ready = checks["database"] == "ok"
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if current_app.config.get("REDIS_URL"):
        try:
            cache.cache._write_client.ping()
        except Exception as exc:
            body["degraded"] = {"redis": f"error: {exc.__class__.__name__}"}
    return jsonify(body), (200 if ready else 503)
