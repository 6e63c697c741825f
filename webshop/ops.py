"""Operations endpoints for load balancers and monitoring: /healthz, /readyz, /metrics.

Request counts and latencies are kept per process (prometheus_client); the shop's own
figures (orders by status, outbox backlog) are read from the database at scrape time,
so they are the same whichever process answers.

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
from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest,
)
from sqlalchemy import func, select, text

from webshop import outbox
from webshop.extensions import cache, db
from webshop.models import Order

bp = Blueprint("ops", __name__)

REQUESTS = Counter("webshop_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("webshop_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def init_app(app):
    _networks(app.config.get("METRICS_ALLOW_FROM"))  # a typo fails at start-up, not per scrape

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
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
    shop = CollectorRegistry()
    orders = Gauge("webshop_orders", "Orders by status", ["status"], registry=shop)
    for status, count in db.session.execute(
        select(Order.status, func.count()).group_by(Order.status)
    ):
        orders.labels(status).set(count)
    Gauge("webshop_orders_needing_attention", "Orders flagged for staff", registry=shop).set(
        db.session.scalar(select(func.count()).select_from(Order)
                          .where(Order.needs_attention.is_(True))))
    backlog = outbox.backlog()
    Gauge("webshop_outbox_pending", "Side effects not yet handed to the queue",
          registry=shop).set(backlog["waiting"])
    Gauge("webshop_outbox_backlog", "Side effects whose job has not finished (waiting, "
          "queued, running or retrying)", registry=shop).set(backlog["unfinished"])
    Gauge("webshop_outbox_oldest_age_seconds", "Age of the oldest side effect whose job "
          "has not finished (0 when none)", registry=shop).set(round(backlog["oldest_age"], 1))
    body = generate_latest(REGISTRY) + generate_latest(shop)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


@bp.get("/healthz")
def healthz():
    """The process is up and answering; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Redis too where one is configured."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        db.session.rollback()
        checks["database"] = f"error: {exc.__class__.__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            cache.cache._write_client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), (200 if ready else 503)
