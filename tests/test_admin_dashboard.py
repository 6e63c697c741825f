"""The admin dashboard: revenue by period from paid orders, what waits, low stock, chart."""
from datetime import timedelta

from tests.factories import make_order, make_product
from webshop.reports import dashboard
from webshop.models import utcnow


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
