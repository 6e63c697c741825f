"""What templates remember between requests (links, the layout's header and footer, the
wishlist hearts of visitors who are not logged in) never hands one visitor's page to
another: every request below asks the same pages in turn with another language, display
currency or login, and sees its own."""
import pytest

from tests.factories import make_category, make_product, make_user
from tests.helpers import log_in_new_user, page
from webshop import pages
from webshop.pricing import currencies


@pytest.fixture
def shop(db):
    kitchen = make_category("Kitchen")
    mug = make_product("Stoneware Mug", price=1500, stock=10, category=kitchen)
    currencies.add("GBP", "0.86", "EUR", make_user("rates@example.com", role="admin"))
    return kitchen, mug


def test_links_follow_each_requests_language_and_currency(app, shop):
    kitchen, mug = shop
    # The cart is never cached whole: its links are built (or remembered) every time.
    for query, suffix in [("", ""), ("?lang=de", "?lang=de"), ("", ""),
                          ("?currency=GBP", "?currency=GBP"),
                          ("?lang=de&currency=GBP", "?lang=de&amp;currency=GBP"),
                          ("?lang=de", "?lang=de"), ("", "")]:
        html = page(app.test_client().get("/cart" + query))
        assert f'href="/categories/{kitchen.slug}{suffix}"' in html, query
        assert f'class="brand" href="/{suffix}"' in html, query
        assert f'action="/products{suffix}"' in html, query  # the header's search form


def test_links_follow_the_script_root(app, shop):
    plain = page(app.test_client().get("/cart"))
    mounted = page(app.test_client().get("/cart", base_url="http://localhost/shop"))
    assert 'class="brand" href="/"' in plain and 'href="/shop/' not in plain
    assert 'class="brand" href="/shop/"' in mounted and 'href="/login"' not in mounted


def test_the_header_follows_who_is_asking(app, shop):
    mug = shop[1]
    url = f"/products/{mug.slug}"
    anonymous = page(app.test_client().get(url))
    assert "Log in" in anonymous and "Log out" not in anonymous
    staff = app.test_client()
    log_in_new_user(staff, "boss@example.com", role="staff")
    staff_page = page(staff.get(url))
    assert "Log out" in staff_page and 'href="/admin/"' in staff_page
    customer = app.test_client()
    log_in_new_user(customer, "ada@example.com", role="customer")
    customer_page = page(customer.get(url))
    assert "Log out" in customer_page and 'href="/admin/"' not in customer_page
    # The hearts: a form for the logged-in shopper, a login link for anyone else.
    assert 'name="product_id"' in customer_page
    again = page(app.test_client().get(url))
    assert "Log in" in again and "Log out" not in again and 'name="product_id"' not in again
    assert f'href="/login?next=/products/{mug.slug}"' in again


def test_the_search_box_shows_each_search(app, shop):
    assert 'value="mug"' in page(app.test_client().get("/products?q=mug"))
    assert 'value="tea"' in page(app.test_client().get("/products?q=tea"))
    assert 'name="q" placeholder="Search products" value=""' in page(
        app.test_client().get("/cart"))


def test_a_new_policy_page_shows_in_the_footer_at_once(app, db, shop):
    before = page(app.test_client().get("/cart"))
    assert "/pages/returns" not in before
    pages.create_page(make_user("editor@example.com", role="admin"), "returns", "Returns",
                      "Within 30 days.", published=True)
    assert 'href="/pages/returns">Returns</a>' in page(app.test_client().get("/cart"))


def test_the_language_switcher_names_each_page(app, shop):
    kitchen, mug = shop
    for path in (f"/products/{mug.slug}", f"/categories/{kitchen.slug}", "/cart"):
        html = page(app.test_client().get(path))
        assert f'href="{path}?lang=de" hreflang="de"' in html, path
