"""English and German: the language follows ?lang= or Accept-Language (English default),
money and dates are written per locale, and no cache ever hands one language's page to a
visitor of the other."""
from datetime import date

import pytest

from tests.factories import make_category, make_product
from tests.helpers import page

DE = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture
def catalogue(db):
    category = make_category("Kitchen")
    product = make_product("Stoneware Mug", price=1234, stock=10, category=category)
    return category, product


def urls(category, product):
    return ["/", "/products", f"/categories/{category.slug}", f"/products/{product.slug}", "/cart"]


def test_accept_language_de_gives_german_pages(app, catalogue):
    for url in urls(*catalogue):
        html = page(app.test_client().get(url, headers=DE))
        assert '<html lang="de">' in html, url
        assert "Zum Inhalt springen" in html and "Warenkorb" in html, url
        assert "Skip to content" not in html, url
    product_html = page(app.test_client().get(f"/products/{catalogue[1].slug}", headers=DE))
    assert "In den Warenkorb" in product_html and "12,34\xa0€" in product_html
    assert "Ihr Warenkorb ist leer." in page(app.test_client().get("/cart", headers=DE))


@pytest.mark.parametrize("header", [None, "en-GB,en;q=0.8", "fr-FR,fr;q=0.9", "*", "x;q=bad"])
def test_english_is_the_default(app, catalogue, header):
    headers = {"Accept-Language": header} if header else {}
    html = page(app.test_client().get(f"/products/{catalogue[1].slug}", headers=headers))
    assert '<html lang="en">' in html
    assert "Add to cart" in html and "€12.34" in html and "In den Warenkorb" not in html


def test_the_switcher_links_keep_the_language_in_the_url(app, catalogue):
    category, product = catalogue
    english = page(app.test_client().get(f"/products/{product.slug}?variant_id=1&q=x"))
    # The switcher keeps the path only: a cached page never carries a visitor's query.
    assert f'href="/products/{product.slug}?lang=de" hreflang="de"' in english
    response = app.test_client().get(f"/products/{product.slug}?lang=de")
    german = page(response)
    assert '<html lang="de">' in german and "In den Warenkorb" in german
    assert "Accept-Language" not in response.headers.get("Vary", "")
    # Links on a ?lang= page keep it, so the shopper stays in German without a cookie...
    assert f'href="/categories/{category.slug}?lang=de"' in german
    assert 'href="/cart?lang=de"' in german
    assert "Set-Cookie" not in response.headers
    # ...and ?lang= wins over the browser's language.
    back = page(app.test_client().get(f"/products/{product.slug}?lang=en", headers=DE))
    assert '<html lang="en">' in back and 'href="/cart?lang=en"' in back


def test_pages_chosen_by_accept_language_vary_on_it(app, catalogue):
    for url in urls(*catalogue)[:4]:
        response = app.test_client().get(url, headers=DE)
        assert "Accept-Language" in response.headers["Vary"], url
        assert response.headers["Cache-Control"].startswith("public"), url  # still shared


def test_the_page_cache_never_mixes_languages(app, catalogue, settings):
    settings(PAGE_CACHE=True)
    for url in urls(*catalogue)[:4]:
        for order in ((DE, {}), ({}, DE)):
            first, second = (page(app.test_client().get(url, headers=h)) for h in order)
            assert ('<html lang="de">' in first) == (order[0] is DE), url
            assert ('<html lang="de">' in second) == (order[1] is DE), url
        url_de = page(app.test_client().get(url + "?lang=de"))
        header_de = page(app.test_client().get(url, headers=DE))
        assert "?lang=de" in url_de.replace('hreflang="de"', "")
        assert "/cart?lang=de" not in header_de  # its own cached copy, links without lang
    # The htmx results fragment is cached per language too.
    hx = {"HX-Request": "true", "HX-Target": "results"}
    assert "1 Produkt" in page(app.test_client().get("/products", headers={**hx, **DE}))
    assert "1 product" in page(app.test_client().get("/products", headers=hx))


def test_german_pages_cost_no_more_queries(app, catalogue, count_queries, settings):
    settings(PAGE_CACHE=True)
    client = app.test_client()
    for url in urls(*catalogue)[:4]:
        for headers in ({}, DE):
            client.get(url, headers=headers)  # warm
            with count_queries() as q:
                assert client.get(url, headers=headers).status_code == 200
            assert q.count <= 5, (url, headers, q.statements)


def test_money_and_dates_per_locale(app):
    from flask_babel import force_locale

    from webshop import i18n
    with app.test_request_context("/"):
        assert i18n.money(1234, "EUR") == "€12.34"
        assert i18n.money(123456789, "EUR") == "€1,234,567.89"
        assert i18n.money(-50, "USD") == "-$0.50"
        assert i18n.money(1234, "JPY") == "¥1,234"
        assert i18n.format_date(date(2026, 11, 29)) == "Nov 29, 2026"
        with force_locale("de"):
            assert i18n.money(1234, "EUR") == "12,34\xa0€"
            assert i18n.money(123456789, "EUR") == "1.234.567,89\xa0€"
            assert i18n.money(1234, "JPY") == "1.234\xa0¥"
            assert i18n.format_date(date(2026, 11, 29)) == "29.11.2026"
            assert i18n.stock_text("low", 3) == "Nur noch 3 verfügbar"
    with app.test_request_context("/", headers=DE):
        assert i18n.current() == "de"
    with app.test_request_context("/admin/", headers=DE):
        assert i18n.current() == "en"  # admin stays English


def test_the_catalogue_is_compiled_when_missing(tmp_path, monkeypatch):
    from webshop import i18n
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((i18n.TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert i18n.compile_catalogues() == [po.with_suffix(".mo")]
    assert po.with_suffix(".mo").stat().st_size > 1000
    assert i18n.compile_catalogues() == []  # up to date: nothing to do
