"""A stock change replaces only the cached pages that show it: an order (or a release, or
a delivery) no longer empties the whole catalogue cache. Product pages always show the
stock as it is; lists are replaced only when a product card would read differently."""
from datetime import timedelta

from prometheus_client import REGISTRY

from tests.factories import make_product
from tests.helpers import check_out, fresh, page
from webshop import inventory, orders
from webshop.models import Order, utcnow


def page_hits():
    return REGISTRY.get_sample_value("webshop_cache_hits_total", {"cache": "page"}) or 0


def two_colours(red=1, blue=50):
    return make_product("Mug", option_names=["Colour"], variants=[
        {"options": {"Colour": "Red"}, "price": 1200, "stock": red},
        {"options": {"Colour": "Blue"}, "price": 1200, "stock": blue}])


def test_an_order_keeps_the_lists_cached_and_the_product_page_exact(app, shop, db,
                                                                     count_queries):
    mug, bowl = two_colours(red=1, blue=50), make_product("Bowl", stock=40)
    visitor = app.test_client()  # anyone else browsing: no cart, no session
    for url in ("/", "/products", f"/products/{mug.slug}", f"/products/{bowl.slug}"):
        assert visitor.get(url).status_code == 200
    assert "sold out" not in page(visitor.get(f"/products/{mug.slug}"))

    check_out(shop, mug, 1)  # the last red mug: the product still has 50 blue ones

    hits = page_hits()
    with count_queries() as q:
        for url in ("/", "/products", f"/products/{bowl.slug}"):
            assert visitor.get(url).status_code == 200
    assert q.count == 0, q.statements  # still cached: the order changed nothing they show
    assert page_hits() == hits + 3
    # The red swatch says it is sold out (blue is still on sale).
    assert 'Red<span class="option-note"> sold out</span>' in page(visitor.get(f"/products/{mug.slug}"))

    inventory.adjust_stock(mug.variants[0].id, "delivery", None, delta=3)  # a delivery
    assert "sold out" not in page(visitor.get(f"/products/{mug.slug}"))
    with count_queries() as q:
        assert visitor.get("/products").status_code == 200
    assert q.count == 0, q.statements


def test_selling_out_and_restocking_a_product_shows_on_the_lists(app, shop, db):
    lamp = make_product("Lamp", stock=2)
    visitor = app.test_client()
    assert "Sold out" not in page(visitor.get("/products"))
    assert "Only 2 left" in page(visitor.get("/products"))

    order, _ = check_out(shop, lamp, 2)

    assert "Sold out" in page(visitor.get("/products"))
    assert "Sold out" in page(visitor.get("/"))
    product_page = page(visitor.get(f"/products/{lamp.slug}"))
    assert "Sold out" in product_page and "Add to cart" not in product_page

    fresh(db, Order, order.id).reserved_until = utcnow() - timedelta(minutes=1)  # never paid
    db.session.commit()
    assert orders.expire_reservations() == 1

    assert "Only 2 left" in page(visitor.get("/products"))
    assert "Sold out" not in page(visitor.get("/products"))
    assert "Add to cart" in page(visitor.get(f"/products/{lamp.slug}"))
