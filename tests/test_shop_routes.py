"""The storefront over HTTP: pages, bad input, query budgets and the cache."""
import re

import pytest

from tests.factories import make_category, make_product
from webshop import catalog, create_app

QUERY_BUDGET = 5


def test_home_shows_categories_and_featured_products(client, db):
    make_category("Kitchen")
    make_product("Copper Kettle", featured=True)

    page = client.get("/").get_data(as_text=True)

    assert "Kitchen" in page
    assert "Copper Kettle" in page


def test_product_list_search_filter_sort_over_http(client, db):
    kitchen = make_category("Kitchen")
    make_product("Ceramic Mug", price=1200, category=kitchen)
    make_product("Ceramic Bowl", price=900, category=kitchen)
    make_product("Ceramic Vase", price=5000)

    response = client.get("/products?q=ceramic&category=kitchen&sort=price_asc")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 products" in html
    assert html.index("Ceramic Bowl") < html.index("Ceramic Mug")
    assert "Ceramic Vase" not in html


def test_category_page_lists_only_its_products(client, db):
    kitchen = make_category("Kitchen")
    make_product("Pan", category=kitchen)
    make_product("Spade")

    html = client.get("/categories/kitchen").get_data(as_text=True)

    assert "Pan" in html and "Spade" not in html


@pytest.mark.parametrize("url, status", [
    ("/products?page=abc", 400),
    ("/products?page=0", 400),
    ("/products?page=-1", 400),
    ("/products?page=99", 404),
    ("/products?category=no-such-thing", 404),
    ("/categories/no-such-thing", 404),
    ("/products/no-such-thing", 404),
])
def test_bad_catalogue_urls_get_a_clear_4xx_page(client, db, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert "<h1>" in response.get_data(as_text=True)


def test_unknown_sort_falls_back_to_the_default(client, db):
    make_product("Mug")
    assert client.get("/products?sort=bogus").status_code == 200


def test_htmx_search_returns_only_the_results_fragment(client, db):
    make_product("Ceramic Mug")

    response = client.get("/products?q=mug", headers={"HX-Request": "true", "HX-Target": "results"})

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results"')
    assert "Ceramic Mug" in html and "<html" not in html


def test_product_page_shows_price_stock_and_the_cart_form(client, db):
    product = make_product("Ceramic Mug", price=1250, stock=3)

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)

    assert "€12.50" in html
    assert "Only 3 left" in html
    assert 'action="/cart/items"' in html
    assert f'name="variant_id" value="{product.variants[0].id}"' in html
    assert 'name="quantity"' in html
    assert "__CSRF_TOKEN__" not in html
    # A first visitor's page is shared by all of them: no token (webshop.web.first_post).
    assert 'name="csrf_token" value=""' in html
    client.get("/login")  # now this browser has a session, and the page its token
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', html)


def test_sold_out_product_says_so_and_cannot_be_added(client, db):
    product = make_product("Rare Print", stock=0)
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Sold out" in html
    assert re.search(r"<button[^>]*disabled", html)
    listing = client.get("/products").get_data(as_text=True)
    assert "Sold out" in listing


def test_choosing_a_variant_updates_price_and_stock_state(client, db):
    product = make_product("Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 2000, "stock": 10},
        {"options": {"Size": "XL"}, "price": 2400, "stock": 0},
    ])
    xl = product.variants[1]

    fragment = client.get(
        f"/products/{product.slug}?variant_id={xl.id}",
        headers={"HX-Request": "true", "HX-Target": "product-purchase"},
    ).get_data(as_text=True)

    assert fragment.lstrip().startswith('<div id="product-purchase"')
    assert "€24.00" in fragment and "Sold out" in fragment
    assert re.search(r'value="XL" class="option-radio"[^>]*checked', fragment)
    # A stable URL: the same choice without htmx renders the whole page.
    page = client.get(f"/products/{product.slug}?variant_id={xl.id}").get_data(as_text=True)
    assert "<html" in page and "€24.00" in page


def test_single_variant_products_hide_the_choice(client, db):
    product = make_product("Mug")
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "<select" not in html.split('id="product-purchase"')[1]


def test_price_change_shows_at_once_on_a_cached_product_page(client, db):
    product = make_product("Mug", price=1200)
    url = f"/products/{product.slug}"
    assert "€12.00" in client.get(url).get_data(as_text=True)
    assert "€12.00" in client.get("/products").get_data(as_text=True)  # cached now too

    catalog.set_variant_price(product.variants[0].id, 1500)

    assert "€15.00" in client.get(url).get_data(as_text=True)
    assert "€15.00" in client.get("/products").get_data(as_text=True)


def test_any_committed_catalogue_change_invalidates_the_cache(client, db):
    product = make_product("Mug", price=1200)
    url = f"/products/{product.slug}"
    client.get(url)

    product.name = "Stoneware Mug"
    db.session.commit()

    assert "Stoneware Mug" in client.get(url).get_data(as_text=True)


def test_pages_are_served_from_cache_without_queries(client, db, count_queries):
    product = make_product("Mug")
    client.get("/products")
    client.get(f"/products/{product.slug}")

    with count_queries() as q:
        client.get("/products")
        client.get(f"/products/{product.slug}")

    assert q.count == 0, q.statements


def test_site_serves_uncached_when_redis_is_unreachable(app, db):
    product = make_product("Mug", price=1200)
    # The same database, but Redis at an address where nothing listens.
    broken = create_app({**app.config, "REDIS_URL": "redis://127.0.0.1:1/0",
                         "CACHE_REDIS_URL": "redis://127.0.0.1:1/0"})
    client = broken.test_client()

    assert client.get("/").status_code == 200
    response = client.get(f"/products/{product.slug}")
    assert response.status_code == 200 and "€12.00" in response.get_data(as_text=True)
    assert "Mug" in client.get("/products?q=mug").get_data(as_text=True)


@pytest.mark.parametrize("per_page_products", [3, 30])
def test_query_budget_does_not_grow_with_the_page(app, client, db, count_queries, per_page_products):
    kitchen = make_category("Kitchen")
    for i in range(per_page_products):
        make_product(f"Tee {i}", category=kitchen, image="products/x.webp", option_names=["Size"],
                     variants=[{"options": {"Size": s}, "price": 1000 + i, "stock": 5}
                               for s in ("S", "M", "L")])
    slug = db.session.scalar(db.select(catalog.Product.slug).limit(1))

    counts = {}
    for url in ["/", "/products", "/products?q=tee&sort=price_asc", "/categories/kitchen",
                f"/products/{slug}"]:
        from webshop.extensions import cache
        cache.clear()
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts[url] = q.count

    assert max(counts.values()) <= QUERY_BUDGET, counts
    # The product with its variants and pictures, the navigation, its first reviews.
    assert counts[f"/products/{slug}"] <= 3, counts


def test_security_headers_on_every_page(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'hx-headers=\'{"X-CSRFToken": "' in response.get_data(as_text=True)


def test_media_serves_uploaded_images(app, client, db):
    import os
    os.makedirs(os.path.join(app.config["UPLOAD_DIR"], "products"), exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_DIR"], "products", "a.webp"), "wb") as f:
        f.write(b"RIFF0000WEBP")
    assert client.get("/media/products/a.webp").status_code == 200
    assert client.get("/media/../config.py").status_code == 404


def test_health_and_readiness(client, db):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "checks": {"database": "ok"}}
