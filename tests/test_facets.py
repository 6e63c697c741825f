"""Facets on product lists: price bands, "in stock only" and option values, each counted
with the shopper's other choices; chosen ones as removable chips; pages, the cache and
bad input; PostgreSQL here, SQLite at the end."""
import re
from urllib.parse import unquote

import pytest

from tests.factories import make_category, make_product
from tests.helpers import HX
from webshop import inventory

# "value": (count, ticked, disabled) for every facet checkbox on a page.
FACET = re.compile(
    r'<input type="checkbox" id="facet-\w+" name="(\w+)" value="([^"]*)"( checked)?( disabled)?>'
    r'\s*<span>[^<]*</span>\s*<span class="facet-count">\((\d+)\)</span>')
CARD = re.compile(r'<h3 class="product-card-name">([^<]+)</h3>')


def facets(html):
    return {value: (int(count), bool(ticked), bool(disabled))
            for _, value, ticked, disabled, count in FACET.findall(html)}


def cards(html):
    return sorted(CARD.findall(html))


def counts(html):
    return {value: count for value, (count, _, _) in facets(html).items()}


@pytest.fixture
def shelf(db):
    """A tee (S under 20, M and L 20-50; M sold out), a hoodie (50-100; L sold out), a mug
    without options (under 20) and a sold-out lamp (over 100)."""
    clothes = make_category("Clothes")
    tee = make_product("Tee", category=clothes, option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 1500, "stock": 5},
        {"options": {"Size": "M"}, "price": 2500, "stock": 0},
        {"options": {"Size": "L"}, "price": 2500, "stock": 3}])
    hoodie = make_product("Hoodie", category=clothes, option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 6000, "stock": 2},
        {"options": {"Size": "L"}, "price": 6000, "stock": 0}])
    make_product("Mug", price=1200, stock=10)
    make_product("Lamp", price=12000, stock=0)
    return tee, hoodie


def test_every_facet_value_shows_how_many_products_it_lists(client, shelf):
    html = client.get("/products").get_data(as_text=True)

    assert counts(html) == {"under-20": 2, "20-50": 1, "50-100": 1, "over-100": 1, "1": 3,
                            "Size:S": 1, "Size:M": 2, "Size:L": 2}
    # The shop's money, as the locale writes it; sizes in the variants' order.
    assert "Under €20.00" in html and "€20.00 to €50.00" in html and "€100.00 and over" in html
    assert html.index('value="Size:S"') < html.index('value="Size:M"') < html.index('value="Size:L"')
    assert "In stock only" in html and '<legend>Size</legend>' in html


def test_counts_follow_the_other_chosen_facets_not_their_own(client, shelf):
    html = client.get("/products?opt=Size:M").get_data(as_text=True)

    assert cards(html) == ["Hoodie", "Tee"]
    found = facets(html)
    # Ticking M leaves the other sizes as they were; the prices count size M variants only.
    assert found["Size:M"] == (2, True, False)
    assert found["Size:S"] == (1, False, False) and found["Size:L"] == (2, False, False)
    assert found["under-20"] == (0, False, True)  # the tee's M costs 25: shown, disabled
    assert found["20-50"][0] == 1 and found["50-100"][0] == 1
    assert found["1"] == (1, False, False)  # only the hoodie has an M in stock

    html = client.get("/products?opt=Size:M&in_stock=1").get_data(as_text=True)
    assert cards(html) == ["Hoodie"]
    assert counts(html)["Size:S"] == 1 and counts(html)["Size:L"] == 1  # the hoodie's L is sold out
    assert counts(html)["Size:M"] == 1


def test_values_of_one_facet_are_alternatives_and_facets_combine(client, shelf):
    assert cards(client.get("/products?price=under-20&price=over-100").get_data(
        as_text=True)) == ["Lamp", "Mug", "Tee"]
    # One variant must match both: the tee's under-20 variant is an S, not an L.
    assert cards(client.get("/products?price=under-20&opt=Size:L").get_data(as_text=True)) == []
    assert cards(client.get("/products?price=20-50&opt=Size:L").get_data(as_text=True)) == ["Tee"]
    assert cards(client.get("/products?in_stock=1").get_data(as_text=True)) == [
        "Hoodie", "Mug", "Tee"]


def test_chosen_facets_are_chips_each_removable_and_clear_all_keeps_search_and_sort(
        client, shelf):
    html = client.get("/products?sort=name&opt=Size:M&in_stock=1&price=50-100").get_data(
        as_text=True)
    chips = dict(re.findall(r'<a class="chip" href="([^"]+)"[^>]*aria-label="([^"]+)"', html))
    by_label = {label: unquote(href.replace("&amp;", "&")) for href, label in chips.items()}

    assert set(by_label) == {"Remove filter: €50.00 to €100.00", "Remove filter: In stock only",
                             "Remove filter: Size: M"}
    assert by_label["Remove filter: Size: M"] == "/products?sort=name&price=50-100&in_stock=1"
    assert by_label["Remove filter: In stock only"] == (
        "/products?sort=name&price=50-100&opt=Size:M")
    clear_all = re.search(r'<a class="chips-clear" href="([^"]+)"', html).group(1)
    assert clear_all == "/products?sort=name" and "Clear all" in html
    assert 'class="chip"' not in client.get("/products").get_data(as_text=True)


def test_pages_keep_the_facets(client, shelf, settings):
    settings(PRODUCTS_PER_PAGE=1)
    html = client.get("/products?in_stock=1&sort=name").get_data(as_text=True)

    assert "page 1 of 3" in html
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "in_stock=1" in next_link and "sort=name" in next_link and "page=2" in next_link
    assert cards(client.get(next_link).get_data(as_text=True)) == ["Mug"]


def test_a_category_page_counts_its_own_products(client, shelf):
    html = client.get("/categories/clothes?opt=Size:L").get_data(as_text=True)

    assert cards(html) == ["Hoodie", "Tee"]
    assert "under-20" in counts(html) and "over-100" not in counts(html)  # the lamp is elsewhere
    assert 'hx-get="/categories/clothes"' in html
    assert counts(client.get("/products?category=clothes").get_data(as_text=True))["Size:L"] == 2


def test_htmx_gets_the_results_and_the_panel_with_new_counts(client, shelf):
    response = client.get("/products?opt=Size:S", headers={**HX, "HX-Target": "results"})
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and "<html" not in html
    assert html.startswith('<section id="results"') and cards(html) == ["Tee"]
    assert 'id="facets" class="facets" hx-swap-oob="true"' in html
    assert facets(html)["Size:S"] == (1, True, False)
    assert "HX-Target" in response.headers["Vary"]


def test_the_filter_form_sends_facets_without_script_and_asks_htmx_on_change(client, shelf):
    html = client.get("/products").get_data(as_text=True)
    start = html.index('<form class="filters"')
    form = html[start:html.index("</form>", start)]

    assert 'method="get"' in form and '<button type="submit">Apply</button>' in form
    assert 'name="price" value="under-20"' in form and 'name="opt" value="Size:M"' in form
    assert 'hx-trigger="change" hx-include="closest form"' in form
    assert 'hx-push-url="true"' in form


def test_bad_facet_values_are_ignored_never_a_500(client, shelf):
    everything = cards(client.get("/products").get_data(as_text=True))
    for query in ("price=cheap", "price=", "in_stock=maybe", "opt=Size", "opt=:M", "opt=Size:",
                  "price=20-50x", "opt=" + "S" * 5000 + ":M", "in_stock=1&in_stock=0",
                  "opt=%22Size%22:M%27)--"):
        response = client.get(f"/products?{query}")
        assert response.status_code == 200, query
    for query in ("price=cheap", "in_stock=maybe", "opt=Size", "opt=:M"):
        assert cards(client.get(f"/products?{query}").get_data(as_text=True)) == everything
    # A well-formed choice nothing has: no products, and its chip takes it back.
    html = client.get("/products?opt=Colour:Plaid").get_data(as_text=True)
    assert "No products found" in html and "Remove filter: Colour: Plaid" in html
    assert client.get("/products?opt=Size:M&page=abc").status_code == 400


def test_the_same_choice_in_any_order_is_one_cache_entry(client, shelf, count_queries):
    assert client.get("/products?in_stock=1&opt=Size:M&opt=Size:L").status_code == 200

    with count_queries() as q:
        assert client.get("/products?opt=Size:L&in_stock=1&opt=Size:M").status_code == 200
        assert client.get("/products?opt=Size:M&opt=Size:L&in_stock=1").status_code == 200
    assert q.count == 0, q.statements


def test_a_value_holding_the_separators_does_not_share_a_real_choice_s_cache_entry(client, db):
    # One value that matches nothing must not answer for two values that match the tee.
    make_product("Tee", option_names=["Colour", "Size"], variants=[
        {"options": {"Colour": "Red", "Size": "M"}, "price": 2500, "stock": 5}])
    forged, real = "/products?opt=Colour:Red|Size=M", "/products?opt=Colour:Red&opt=Size:M"
    for headers in ({}, {**HX, "HX-Target": "results"}):
        assert cards(client.get(forged, headers=headers).get_data(as_text=True)) == []
        html = client.get(real, headers=headers).get_data(as_text=True)
        assert cards(html) == ["Tee"] and counts(html)["Size:M"] == 1, headers


def test_a_list_with_facets_stays_within_the_query_budget(client, shelf, count_queries):
    urls = ["/products?opt=Size:M&in_stock=1", "/categories/clothes?price=20-50",
            "/products?q=tee&opt=Size:L&sort=price_asc"]
    client.get("/")  # what every page reads once (navigation, tables) is cached
    for url in urls:
        with count_queries() as cold:
            assert client.get(url).status_code == 200
        assert cold.count <= 5, cold.statements
        with count_queries() as cold_fragment:
            assert client.get(url, headers={**HX, "HX-Target": "results"}).status_code == 200
        assert cold_fragment.count <= 5, cold_fragment.statements

    with count_queries() as warm:
        for url in urls:
            assert client.get(url).status_code == 200
            assert client.get(url, headers={**HX, "HX-Target": "results"}).status_code == 200
    assert warm.count == 0, warm.statements


def test_anonymous_faceted_lists_are_shareable(app, shelf):
    visitor = app.test_client()
    response = visitor.get("/products?opt=Size:M")

    assert response.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in response.headers and response.headers.get("ETag")


def test_a_variant_selling_out_updates_the_narrowed_lists_at_once(app, client, shelf):
    tee, hoodie = shelf
    visitor = app.test_client()
    assert cards(visitor.get("/products?opt=Size:M&in_stock=1").get_data(as_text=True)) == [
        "Hoodie"]
    assert counts(visitor.get("/products?opt=Size:L").get_data(as_text=True))["1"] == 1

    inventory.adjust_stock(hoodie.variants[0].id, "damaged", None, delta=-2)  # the hoodie's M
    inventory.adjust_stock(hoodie.variants[1].id, "delivery", None, delta=4)  # ... and its L

    assert cards(visitor.get("/products?opt=Size:M&in_stock=1").get_data(as_text=True)) == []
    assert counts(visitor.get("/products?opt=Size:L").get_data(as_text=True))["1"] == 2


def test_facets_in_german(client, shelf):
    html = client.get("/products", headers={"Accept-Language": "de"}).get_data(as_text=True)

    assert "<legend>Preis</legend>" in html and "Nur vorrätige Artikel" in html
    assert "Unter 20,00\xa0€" in html


def test_facets_on_sqlite(sqlite_app):
    """The embedded mode: the same counts and filters through SQLite's json_each."""
    app = sqlite_app
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        make_product("Tee", option_names=["Size"], variants=[
            {"options": {"Size": "S"}, "price": 1500, "stock": 5},
            {"options": {"Size": "M"}, "price": 2500, "stock": 0}])
        make_product("Hoodie", option_names=["Size"], variants=[
            {"options": {"Size": "M"}, "price": 6000, "stock": 2}])
        make_product("Mug", price=1200, stock=10)
    client = app.test_client()

    html = client.get("/products?opt=Size:M").get_data(as_text=True)
    assert cards(html) == ["Hoodie", "Tee"]
    assert counts(html) == {"under-20": 0, "20-50": 1, "50-100": 1, "1": 1, "Size:S": 1,
                            "Size:M": 2}
    assert cards(client.get("/products?opt=Size:M&in_stock=1&q=hood").get_data(
        as_text=True)) == ["Hoodie"]
    assert cards(client.get("/products?price=under-20").get_data(as_text=True)) == ["Mug", "Tee"]
