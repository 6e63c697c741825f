"""The admin dashboard: revenue by period from paid orders, what waits, low stock, chart."""
from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_order, make_product
from tests.review_helpers import add_reviews
from webshop import reviews
from webshop.reports import dashboard
from webshop.models import Review, utcnow


def paid(db, total, days_ago, status="paid"):
    return make_order(email="x@example.com", total=total, status=status,
                      paid_at=utcnow() - timedelta(days=days_ago))


def test_figures_count_paid_orders_by_when_they_were_paid(app, db):
    paid(db, 1000, 0)
    paid(db, 2000, 3, status="dispatched")
    paid(db, 4000, 20, status="delivered")
    paid(db, 8000, 45)  # outside the 30-day window
    paid(db, 9999, 1, status="refunded")  # refunded: not revenue
    make_order(email="y@example.com", total=5000)  # pending: not revenue
    make_product("Last Mug", stock=2)

    figures = dashboard._figures()

    assert figures["periods"] == [("Today", 1000, 1), ("Last 7 days", 3000, 2),
                                  ("Last 30 days", 7000, 3)]
    assert figures["to_dispatch"] == 2  # paid, including the one outside the window
    assert [v["name"] for v in figures["low_stock"]] == ["Last Mug"]
    bars = figures["chart"]["bars"]
    assert len(bars) == 30 and bars[-1].revenue == 1000 and bars[-1].height > 0
    assert sum(bar.revenue for bar in bars) == 7000


def test_dashboard_page_renders_an_svg_chart_with_few_queries(staff, db, count_queries):
    paid(db, 1500, 0)

    with count_queries() as q:
        page = staff.get("/admin/").get_data(as_text=True)
    with count_queries() as cached:
        staff.get("/admin/")

    assert "<svg" in page and 'class="bar"' in page and "€15.00" in page
    assert q.count <= 7, q.statements
    assert cached.count <= 1  # the user; the figures come from the cache


def test_reviews_awaiting_moderation_are_a_card_linking_to_the_queue(staff, db):
    mug = make_product("Stoneware Mug")
    add_reviews(mug, [5, 4], status="pending")
    add_reviews(make_product("Teapot"), [3], status="pending")
    add_reviews(make_product("Vase"), [2], status="approved")  # decided: not waiting
    assert dashboard._figures()["pending_reviews"] == 3

    html = staff.get("/admin/").get_data(as_text=True)
    card = html.split('id="pending-reviews"')[1].split("</a>")[0]
    assert 'href="/admin/reviews?status=pending"' in card
    assert "Reviews awaiting moderation" in card and '<p class="stat-value">3</p>' in card
    queue = staff.get("/admin/reviews?status=pending").get_data(as_text=True)
    assert queue.count("Stoneware Mug") >= 2 and "Teapot" in queue

    first = db.session.scalar(select(Review.id).where(Review.status == "pending").limit(1))
    reviews.moderate(first, "approve", None)
    assert dashboard._figures()["pending_reviews"] == 2
