"""What a CDN or nginx may keep: anonymous catalogue pages are one shared answer (no
cookie, public with s-maxage, ETag and 304); anything a session, a login or staff sees
is private. Product images have immutable URLs. (CSRF for the shared pages' add-to-cart:
test_first_post.py.)"""
import os
import re

import pytest

from tests.factories import make_category, make_product, make_user
from tests.helpers import add_to_cart, csrf_token, log_in_new_user, login, page

PUBLIC = re.compile(r"^public, max-age=0, s-maxage=(\d+), stale-while-revalidate=(\d+)$")


@pytest.fixture
def catalogue(db):
    category = make_category("Kitchen")
    product = make_product("Stoneware Mug", stock=10, category=category)
    return ["/", "/products", "/products?q=mug&sort=name", f"/categories/{category.slug}",
            f"/products/{product.slug}"], product


def test_anonymous_catalogue_pages_are_one_shared_answer(app, catalogue, settings):
    settings(CATALOGUE_EDGE_TTL=45, CATALOGUE_EDGE_STALE=90)
    urls, _ = catalogue
    for url in urls:
        first, second = app.test_client().get(url), app.test_client().get(url)
        assert first.status_code == 200, url
        assert "Set-Cookie" not in first.headers, url
        assert PUBLIC.match(first.headers["Cache-Control"]).groups() == ("45", "90"), url
        assert first.headers["ETag"] and first.headers["ETag"] == second.headers["ETag"], url
        assert first.get_data() == second.get_data(), url  # the same bytes for everyone
        assert not re.search(r'name="csrf_token" value="[^"]', page(first)), url  # no token
        assert '"X-CSRFToken": ""' in page(first), url
        assert "Cookie" in first.headers["Vary"] and "HX-Request" in first.headers["Vary"]


def test_a_matching_etag_is_answered_304_and_a_changed_page_is_not(app, db, catalogue):
    _, product = catalogue
    url, browser = f"/products/{product.slug}", app.test_client()
    etag = browser.get(url).headers["ETag"]
    again = browser.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert PUBLIC.match(again.headers["Cache-Control"])

    product.name = "Porcelain Mug"
    db.session.commit()
    changed = browser.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Porcelain Mug" in page(changed)
    assert changed.headers["ETag"] != etag


def assert_private(response, what):
    assert response.status_code == 200, what
    assert response.headers["Cache-Control"] == "private, no-store", what
    assert "Cookie" in response.headers["Vary"], what
    assert "ETag" not in response.headers, what


def test_pages_for_a_session_a_customer_or_staff_are_never_public(app, db, catalogue):
    urls, product = catalogue
    public_etag = app.test_client().get(urls[-1]).headers["ETag"]

    with_cart = app.test_client()
    add_to_cart(with_cart, csrf_token(with_cart, "/login"), product.variants[0].id)
    customer = app.test_client()
    make_user("ada@example.com")
    assert login(customer, "ada@example.com").status_code == 303
    staff = app.test_client()
    log_in_new_user(staff)

    for who, browser in (("cart", with_cart), ("customer", customer), ("staff", staff)):
        for url in urls:
            assert_private(browser.get(url), (who, url))
        # Their browser may hold the shared page's ETag: they get their own page, not a 304.
        response = browser.get(urls[-1], headers={"If-None-Match": public_etag})
        assert_private(response, (who, "If-None-Match"))
    assert re.search(r'class="badge-count">1<', page(with_cart.get(urls[-1])))
    assert "Log out" in page(customer.get("/")) and "Admin" in page(staff.get("/"))


def test_a_page_with_a_flashed_message_is_private(app, catalogue):
    _, product = catalogue
    shopper = app.test_client()
    added = add_to_cart(shopper, csrf_token(shopper, "/login"), product.variants[0].id)
    shown = shopper.get(added.headers["Location"])
    assert "Added to your cart." in page(shown)
    assert_private(shown, "flash")


def test_other_pages_that_set_a_cookie_are_never_stored(app, db):
    for url in ("/login", "/cart", "/checkout"):
        response = app.test_client().get(url, follow_redirects=True)
        assert "Set-Cookie" in response.headers, url
        assert "no-store" in response.headers["Cache-Control"], url
        assert "public" not in response.headers["Cache-Control"], url


def test_product_images_have_immutable_urls(app, db, staff):
    folder = os.path.join(app.config["UPLOAD_DIR"], "products")
    os.makedirs(folder, exist_ok=True)
    for name, body in (("vase-1.webp", b"RIFF0000WEBPfull"), ("vase-1.thumb.webp", b"RIFF0000WEBPsmall")):
        with open(os.path.join(folder, name), "wb") as file:
            file.write(body)
    product = make_product("Glazed Vase", image="products/vase-1.webp")

    html = page(app.test_client().get(f"/products/{product.slug}"))
    url = re.search(r'src="(/media/products/vase-1\.webp\?v=[0-9a-f]{12})"', html).group(1)
    assert re.search(r'src="/media/products/vase-1\.thumb\.webp\?v=[0-9a-f]{12}"',
                     page(app.test_client().get("/products")))
    for browser in (app.test_client(), staff):  # a first visitor, and a logged-in browser
        response = browser.get(url)
        assert response.status_code == 200 and response.get_data() == b"RIFF0000WEBPfull"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")

    # A URL naming other content (an old hash, or none) is not kept forever.
    for other in (url[:-12] + "0" * 12, url.split("?")[0]):
        response = app.test_client().get(other)
        assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]


def test_each_process_keeps_the_catalogue_version_briefly_and_its_own_changes_at_once(
        app, db, settings, monkeypatch):
    """CATALOGUE_VERSION_TTL: a cached page needs no round trip to Redis for the version;
    another process's change shows within that bound, this process's own at once."""
    from types import SimpleNamespace

    from sqlalchemy import update

    from webshop import catalog_cache, safe_cache
    from webshop.models import ProductVariant

    settings(CATALOGUE_VERSION_TTL=1.0)
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(catalog_cache, "time", SimpleNamespace(monotonic=lambda: clock.now))
    mug = make_product("Mug", price=1000)
    url, visitor = f"/products/{mug.slug}", app.test_client()
    assert "€10.00" in page(visitor.get(url))

    # Another process changes the price: its commit replaces the version in Redis.
    db.session.execute(update(ProductVariant).where(ProductVariant.id == mug.variants[0].id)
                       .values(price=1200))
    db.session.commit()
    with app.app_context():
        safe_cache.call("set", catalog_cache.VERSION_KEY, "another", 0)
    clock.now += 0.5
    assert "€10.00" in page(visitor.get(url))  # this process's copy is still young
    clock.now += 0.6
    assert "€12.00" in page(visitor.get(url))  # older than the bound: read again

    # A change this process commits itself shows at once.
    mug.variants[0].price = 1500
    db.session.commit()
    assert "€15.00" in page(visitor.get(url))
