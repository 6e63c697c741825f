"""What search engines are given: robots.txt keeps them out of private pages and points
to a sitemap that lists what shoppers may see, and nothing else."""
import re
from xml.etree import ElementTree

from tests.factories import make_category, make_product

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _locations(response):
    root = ElementTree.fromstring(response.data)
    return [url.findtext(f"{SITEMAP_NS}loc") for url in root.iter(f"{SITEMAP_NS}url")]


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    rules = response.get_data(as_text=True).splitlines()
    for private in ("/admin", "/account", "/cart", "/checkout", "/orders", "/login"):
        assert f"Disallow: {private}" in rules
    assert "Disallow: /products" not in rules
    assert "Sitemap: http://localhost/sitemap.xml" in rules
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public")


def test_the_sitemap_lists_what_shoppers_may_see_and_only_that(client, db):
    mugs, empty = make_category("Mugs"), make_category("Empty shelf")
    mug = make_product("Stoneware Mug", category=mugs)
    hidden = make_product("Prototype Mug", category=mugs, active=False)
    make_product("Hidden Vase", category=empty, active=False)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    locations = _locations(response)
    assert "http://localhost/" in locations
    assert f"http://localhost/products/{mug.slug}" in locations
    assert "http://localhost/categories/mugs" in locations
    assert f"http://localhost/products/{hidden.slug}" not in locations
    assert "http://localhost/categories/empty-shelf" not in locations
    assert re.search(r"<lastmod>\d{4}-\d{2}-\d{2}</lastmod>", response.get_data(as_text=True))
    assert "Set-Cookie" not in response.headers


def test_a_product_taken_off_sale_leaves_the_sitemap(client, db):
    mug = make_product("Stoneware Mug")
    assert f"http://localhost/products/{mug.slug}" in _locations(client.get("/sitemap.xml"))

    mug.active = False
    db.session.commit()

    assert f"http://localhost/products/{mug.slug}" not in _locations(client.get("/sitemap.xml"))
