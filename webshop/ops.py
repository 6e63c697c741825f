"""Operations endpoints for load balancers and monitoring: /healthz, /readyz, /metrics.

Request counts and latencies are kept per process (prometheus_client); the shop's own
figures (orders by status, outbox backlog) are read from the database at scrape time,
so they are the same whichever process answers.
"""
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest,
)
from sqlalchemy import func, select, text

from webshop.extensions import cache, db
from webshop.models import Order, OutboxMessage

bp = Blueprint("ops", __name__)

REQUESTS = Counter("webshop_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("webshop_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def init_app(app):
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


@bp.get("/metrics")
def metrics():
    shop = CollectorRegistry()
    orders = Gauge("webshop_orders", "Orders by status", ["status"], registry=shop)
    for status, count in db.session.execute(
        select(Order.status, func.count()).group_by(Order.status)
    ):
        orders.labels(status).set(count)
    Gauge("webshop_orders_needing_attention", "Orders flagged for staff", registry=shop).set(
        db.session.scalar(select(func.count()).select_from(Order)
                          .where(Order.needs_attention.is_(True))))
    Gauge("webshop_outbox_pending", "Side effects not yet handed to the queue",
          registry=shop).set(db.session.scalar(
              select(func.count()).select_from(OutboxMessage)
              .where(OutboxMessage.enqueued_at.is_(None))))
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
