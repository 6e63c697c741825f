"""What /metrics reads at scrape time rather than counts: the shop's own figures (orders
by status, stock-outs, the outbox) from the database, and the RQ queues and workers from
the queue Redis. They are the same whichever process answers, so they are not summed
across gunicorn's workers; each process reads them at most every METRICS_CACHE_SECONDS.

A dependency that is down never fails the scrape: its figures are left out and
`webshop_up{dependency}` says 0, which an alert can watch.
"""
import logging
import threading
import time
from datetime import datetime, timezone

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from webshop import outbox
from webshop.extensions import db
from webshop.metrics import CACHES
from webshop.models import Order, Product, ProductVariant

log = logging.getLogger(__name__)

_remembered = {}  # dependency -> (monotonic time read, families)
_lock = threading.Lock()


class ShopCollector:
    """The scrape-time figures, plus the cache hit ratio of the counted ones."""

    def __init__(self, counted):
        self.counted = counted  # the registry with the per-process counters

    def collect(self):
        up = GaugeMetricFamily("webshop_up", "Whether /metrics could read each dependency "
                               "(1) or not (0); figures of one that is down are left out",
                               labels=["dependency"])
        families = [up]
        readers = [("database", _database_families)]
        if outbox.queue_url():
            readers.append(("redis", _queue_families))
        for dependency, read in readers:
            found = _remember(dependency, read)
            up.add_metric([dependency], 0 if found is None else 1)
            families.extend(found or ())
        families.append(_hit_ratio(self.counted))
        return families


def _remember(dependency, read):
    """read()'s families, at most every METRICS_CACHE_SECONDS; None if it failed."""
    ttl = current_app.config["METRICS_CACHE_SECONDS"]
    with _lock:
        at, families = _remembered.get(dependency, (None, None))
    if at is not None and time.monotonic() - at < ttl:
        return families
    try:
        families = read()
    except Exception as exc:  # the scrape must go on: this dependency reports 0
        if dependency == "database":
            db.session.rollback()
        log.warning("/metrics could not read the %s: %s", dependency, exc)
        return None
    with _lock:
        _remembered[dependency] = (time.monotonic(), families)
    return families


def _gauge(name, documentation, value):
    return GaugeMetricFamily(name, documentation, value=value)


def _database_families():
    orders = GaugeMetricFamily("webshop_orders", "Orders by status", labels=["status"])
    attention = 0
    for status, count, flagged in db.session.execute(
        select(Order.status, func.count(), func.count().filter(Order.needs_attention.is_(True)))
        .group_by(Order.status)  # ix_order_status_created
    ):
        orders.add_metric([status], count)
        attention += flagged
    out_of_stock = db.session.scalar(
        select(func.count()).select_from(ProductVariant)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(Product.active.is_(True), ProductVariant.stock <= 0))
    backlog = outbox.backlog()
    db.session.rollback()  # end the read: a scrape holds no transaction open
    return [
        orders,
        _gauge("webshop_orders_needing_attention", "Orders flagged for staff", attention),
        _gauge("webshop_variants_out_of_stock", "Variants of active products with no stock "
               "left", out_of_stock),
        _gauge("webshop_outbox_pending", "Side effects not yet handed to the queue",
               backlog["waiting"]),
        _gauge("webshop_outbox_backlog", "Side effects whose job has not finished (waiting, "
               "queued, running or retrying)", backlog["unfinished"]),
        _gauge("webshop_outbox_oldest_age_seconds", "Age of the oldest side effect whose job "
               "has not finished (0 when none)", round(backlog["oldest_age"], 1)),
    ]


QUEUE_KEY, JOB_KEY, WORKERS_KEY = "rq:queue:{}", "rq:job:{}", "rq:workers"


def _queue_families():
    """Two round trips to the queue Redis, whatever the number of queues and workers."""
    from rq.utils import str_to_date

    names = current_app.config["RQ_QUEUES"]
    connection = outbox.redis_connection()
    first = connection.pipeline(transaction=False)
    for name in names:
        first.llen(QUEUE_KEY.format(name))
        first.lindex(QUEUE_KEY.format(name), 0)  # RQ appends: the head waited longest
    first.smembers(WORKERS_KEY)
    answers = first.execute()
    workers = sorted(answers[-1])
    second = connection.pipeline(transaction=False)
    for index in range(len(names)):
        head = answers[2 * index + 1]
        second.hget(JOB_KEY.format(head.decode() if head else "-"), "enqueued_at")
    for key in workers:
        second.exists(key)  # a worker that died uncleanly leaves its name in the set
    replies = second.execute()
    now = datetime.now(timezone.utc)
    length = GaugeMetricFamily("webshop_queue_length", "Jobs waiting on each RQ queue",
                               labels=["queue"])
    age = GaugeMetricFamily("webshop_queue_oldest_age_seconds", "How long the job at the "
                            "head of each RQ queue has waited (0 when empty)", labels=["queue"])
    for index, name in enumerate(names):
        length.add_metric([name], answers[2 * index])
        enqueued = replies[index]
        waited = 0.0
        if enqueued:
            when = str_to_date(enqueued)
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            waited = max((now - when).total_seconds(), 0.0)
        age.add_metric([name], round(waited, 1))
    live = sum(1 for alive in replies[len(names):] if alive)
    return [length, age, _gauge("webshop_workers", "RQ workers alive (registered, with a "
                                "current heartbeat)", live)]


def _hit_ratio(counted):
    """Hits / lookups of the catalogue cache since the processes started, from the
    counters (summed over workers); for a benchmark's report. Rates belong in PromQL."""
    totals = {}
    for family in counted.collect():
        if family.name in ("webshop_cache_hits", "webshop_cache_misses"):
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = (family.name, sample.labels.get("cache"))
                    totals[key] = totals.get(key, 0.0) + sample.value
    ratio = GaugeMetricFamily("webshop_cache_hit_ratio", "Share of catalogue cache lookups "
                              "answered from the cache since start (1 when none yet)",
                              labels=["cache"])
    for cache in CACHES:
        hits = totals.get(("webshop_cache_hits", cache), 0.0)
        lookups = hits + totals.get(("webshop_cache_misses", cache), 0.0)
        ratio.add_metric([cache], round(hits / lookups, 4) if lookups else 1.0)
    return ratio


def forget():
    """Drop what was read (tests: a figure they just changed)."""
    with _lock:
        _remembered.clear()
