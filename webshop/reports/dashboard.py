"""Figures for the admin dashboard: indexed aggregates over a bounded window, cached briefly.

Revenue counts orders by the time they were paid (indexed), over the last 30 days at
most, and only orders that were paid and not refunded. The outbox backlog (emails and
other jobs not finished yet) shows whether the worker keeps up. Reviews awaiting
moderation are counted from the (status, created_at) index, in the same query as the
orders' counts.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import and_, func, select

from webshop import outbox, safe_cache
from webshop.extensions import db
from webshop.models import Order, Product, ProductVariant, Review, utcnow
from webshop.models.orders import REVENUE_STATUSES
from webshop.orders.disputes import DISPUTE_OPEN

WINDOW_DAYS = 30
CACHE_SECONDS = 30


@dataclass(frozen=True)
class Bar:
    day: date
    revenue: int
    orders: int
    x: float
    y: float
    height: float


def figures():
    """Everything the dashboard shows; cached for CACHE_SECONDS across processes."""
    return safe_cache.remember("admin:dashboard", CACHE_SECONDS, _figures)


def _figures():
    now = utcnow()
    today = datetime.combine(now.date(), time.min, tzinfo=timezone.utc)
    since = today - timedelta(days=WINDOW_DAYS - 1)
    paid = and_(Order.status.in_(REVENUE_STATUSES), Order.paid_at >= since)

    def window(start):
        return (func.coalesce(func.sum(Order.total).filter(Order.paid_at >= start), 0),
                func.count().filter(Order.paid_at >= start))

    figures = db.session.execute(
        select(*window(today), *window(today - timedelta(days=6)), *window(since)).where(paid)
    ).one()
    day = func.date(Order.paid_at)
    by_day = {
        _as_date(row.day): (row.revenue, row.orders)
        for row in db.session.execute(
            select(day.label("day"), func.sum(Order.total).label("revenue"),
                   func.count().label("orders")).where(paid).group_by(day)
        )
    }
    waiting = db.session.execute(
        select(Order.id, Order.number, Order.email, Order.total, Order.currency, Order.paid_at)
        .where(Order.status == "paid").order_by(Order.paid_at).limit(10)
    ).all()
    pending_reviews = (select(func.count()).select_from(Review)
                       .where(Review.status == "pending").scalar_subquery())
    counts = db.session.execute(
        select(func.count().filter(Order.status == "paid"),
               func.count().filter(Order.needs_attention.is_(True)),
               func.count().filter(Order.dispute_status.in_(DISPUTE_OPEN)),
               pending_reviews)
        .select_from(Order)
    ).one()
    threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    low_stock = db.session.execute(
        select(Product.id, Product.name, ProductVariant.sku, ProductVariant.option_values,
               ProductVariant.stock)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.stock <= threshold, Product.active.is_(True))
        .order_by(ProductVariant.stock, Product.name).limit(12)
    ).all()
    days = [since.date() + timedelta(days=i) for i in range(WINDOW_DAYS)]
    return {
        "currency": current_app.config["SHOP_CURRENCY"],
        "periods": [
            ("Today", figures[0], figures[1]),
            ("Last 7 days", figures[2], figures[3]),
            ("Last 30 days", figures[4], figures[5]),
        ],
        "to_dispatch": counts[0],
        "needs_attention": counts[1],
        "open_disputes": counts[2],
        "pending_reviews": counts[3],
        "waiting": [dict(row._mapping) for row in waiting],
        "low_stock": [dict(row._mapping) for row in low_stock],
        "threshold": threshold,
        "chart": sales_chart([(d, *by_day.get(d, (0, 0))) for d in days]),
        "outbox": outbox_backlog(),
    }


def outbox_backlog():
    """outbox.backlog(), with the oldest age in whole minutes and whether it is late:
    older than OUTBOX_REDELIVER_AFTER, by when it should have been done or handed over
    again (a worker down, mail failing, a job failing every time)."""
    backlog = outbox.backlog()
    late_after = max(current_app.config["OUTBOX_REDELIVER_AFTER"], 60)
    return {**backlog, "oldest_minutes": int(backlog["oldest_age"] // 60),
            "late": backlog["unfinished"] > 0 and backlog["oldest_age"] > late_after}


def _as_date(value):
    """date(paid_at) comes back as a date (PostgreSQL) or an ISO string (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


CHART_WIDTH, CHART_HEIGHT = 600, 160


def sales_chart(series):
    """Bars for an SVG chart drawn by the template: [(day, revenue, orders)] -> geometry."""
    peak = max((revenue for _, revenue, _ in series), default=0) or 1
    slot = CHART_WIDTH / max(len(series), 1)
    bars = []
    for i, (day, revenue, orders) in enumerate(series):
        height = round(revenue / peak * (CHART_HEIGHT - 10), 1)
        bars.append(Bar(day, revenue, orders, round(i * slot + 1, 1),
                        round(CHART_HEIGHT - height, 1), height))
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT,
            "bar_width": round(slot - 2, 1), "peak": peak if peak > 1 else 0}
